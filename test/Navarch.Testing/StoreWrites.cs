using Navarch.Storage;

namespace Navarch.Testing;

/// <summary>
/// What was written to a store since a revision, leaving out the API servers' own heartbeats (their identity Leases,
/// renewed every 10 s as kube-apiserver's): how a test asserts that a refused request wrote nothing while the server
/// goes on living.
/// </summary>
public static class StoreWrites
{
    /// <summary>The keys of the API servers' identity Leases.</summary>
    public const string HeartbeatPrefix = "/registry/leases/kube-system/kube-apiserver-";

    /// <summary>The keys written (created, updated or deleted) after <paramref name="revision"/>, heartbeats left out, in order.</summary>
    public static async Task<IReadOnlyList<string>> SinceAsync(IStore store, long revision)
    {
        ArgumentNullException.ThrowIfNull(store);
        long current = await store.GetCurrentRevisionAsync();
        var keys = new List<string>();
        if (current <= revision)
        {
            return keys;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (WatchEvent change in store.WatchAsync("/", revision, timeout.Token))
        {
            if (!change.Kv.Key.StartsWith(HeartbeatPrefix, StringComparison.Ordinal))
            {
                keys.Add(change.Kv.Key);
            }

            if (change.Revision >= current)
            {
                break;
            }
        }

        return keys;
    }
}
