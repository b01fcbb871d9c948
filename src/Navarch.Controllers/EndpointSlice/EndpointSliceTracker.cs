using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.EndpointSlice;

/// <summary>
/// Kubernetes' endpointSliceTracker, by resourceVersion: the slice writes a controller made per Service until its
/// informer shows them. While any is unseen the cache is stale for that Service and a sync must wait — acting on it
/// would create a second slice for endpoints already placed. Expectations expire, in case an event was missed
/// (a re-list after compaction can skip an intermediate version).
/// </summary>
internal sealed class EndpointSliceTracker(Indexer<V1EndpointSlice> store, TimeProvider time)
{
    /// <summary>How long an unseen write keeps a Service's cache stale.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();

    // service key -> slice uid -> the resourceVersion written (null: a deletion), and when.
    private readonly Dictionary<string, Dictionary<string, (string? ResourceVersion, DateTimeOffset At)>> _pending = new(StringComparer.Ordinal);

    /// <summary>Records a created or updated slice, unless the informer already shows that version.</summary>
    public void ExpectWrite(string serviceKey, V1EndpointSlice written)
    {
        lock (_lock)
        {
            if (store.Get(ObjectKeys.KeyOf(written)) is { } cached && cached.Metadata.Uid == written.Metadata.Uid
                && cached.Metadata.ResourceVersion == written.Metadata.ResourceVersion)
            {
                return;
            }

            PendingOf(serviceKey)[written.Metadata.Uid] = (written.Metadata.ResourceVersion, time.GetUtcNow());
        }
    }

    /// <summary>Records a deleted slice, unless the informer already dropped it.</summary>
    public void ExpectDeletion(string serviceKey, V1EndpointSlice deleted)
    {
        lock (_lock)
        {
            if (store.Get(ObjectKeys.KeyOf(deleted)) is not { } cached || cached.Metadata.Uid != deleted.Metadata.Uid)
            {
                return;
            }

            PendingOf(serviceKey)[deleted.Metadata.Uid] = (null, time.GetUtcNow());
        }
    }

    /// <summary>The informer delivered <paramref name="slice"/> (or its deletion): a matching expectation is met.</summary>
    public void Observed(string serviceKey, V1EndpointSlice slice, bool deleted)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(serviceKey, out var pending) || !pending.TryGetValue(slice.Metadata.Uid, out var expected))
            {
                return;
            }

            // A deletion meets any expectation: the slice will not come back with the version written.
            if (deleted || expected.ResourceVersion == slice.Metadata.ResourceVersion)
            {
                pending.Remove(slice.Metadata.Uid);
                if (pending.Count == 0)
                {
                    _pending.Remove(serviceKey);
                }
            }
        }
    }

    /// <summary>Whether the informer has not yet shown every write made for the Service (expired ones aside).</summary>
    public bool IsStale(string serviceKey)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(serviceKey, out var pending))
            {
                return false;
            }

            DateTimeOffset now = time.GetUtcNow();
            foreach (string uid in pending.Where(p => now - p.Value.At > Timeout).Select(p => p.Key).ToList())
            {
                pending.Remove(uid);
            }

            if (pending.Count == 0)
            {
                _pending.Remove(serviceKey);
                return false;
            }

            return true;
        }
    }

    /// <summary>Forgets a deleted Service.</summary>
    public void Forget(string serviceKey)
    {
        lock (_lock)
        {
            _pending.Remove(serviceKey);
        }
    }

    private Dictionary<string, (string? ResourceVersion, DateTimeOffset At)> PendingOf(string serviceKey)
    {
        if (!_pending.TryGetValue(serviceKey, out var pending))
        {
            _pending[serviceKey] = pending = new Dictionary<string, (string?, DateTimeOffset)>(StringComparer.Ordinal);
        }

        return pending;
    }
}
