using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The watch cache of one resource, as kube-apiserver's cacher: ONE store watch keeps an in-memory copy of every
/// object and a ring of recent events. Client watches are served from the ring and then live, and LISTs at
/// "any" revision (resourceVersion=0) from memory, so a thousand watchers cost one store watch. A client that
/// falls behind is cut off (it re-watches from its last revision); a start older than the ring is 410 Gone.
/// </summary>
internal sealed partial class WatchCache : IAsyncDisposable
{
    private readonly IStore _store;
    private readonly string _prefix;
    private readonly int _ringCapacity;
    private readonly int _clientBuffer;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, KeyValue> _items = new(StringComparer.Ordinal);
    private readonly Queue<WatchEvent> _ring = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;
    private long _floor;
    private Task? _loop;

    public WatchCache(IStore store, string prefix, ILogger logger, int ringCapacity = 10_000, int clientBuffer = 10_000)
    {
        _store = store;
        _prefix = prefix;
        _logger = logger;
        _ringCapacity = ringCapacity;
        _clientBuffer = clientBuffer;
    }

    /// <summary>Starts the store watch; completes once the cache holds a consistent snapshot.</summary>
    public Task StartAsync()
    {
        _loop ??= RunAsync(_stop.Token);
        return _ready.Task;
    }

    /// <summary>A snapshot of the objects under <paramref name="prefix"/> and the revision it is consistent at.</summary>
    public async Task<(List<KeyValue> Items, long Revision)> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        await StartAsync().WaitAsync(cancellationToken);
        lock (_lock)
        {
            return (_items.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => kv.Value).ToList(), _revision);
        }
    }

    /// <summary>Every change under <paramref name="prefix"/> after <paramref name="since"/>, from the ring and then live.</summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await StartAsync().WaitAsync(cancellationToken);
        Subscriber? subscriber = null;
        List<WatchEvent> replay = [];
        lock (_lock)
        {
            if (since >= _floor)
            {
                replay = _ring.Where(e => e.Revision > since && e.Kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                subscriber = new Subscriber(prefix, Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(_clientBuffer) { SingleReader = true, SingleWriter = true }));
                _subscribers.Add(subscriber);
            }
        }

        if (subscriber is null)
        {
            // Older than the ring: the store may still have that history (or answers Compacted, a 410).
            await foreach (WatchEvent e in _store.WatchAsync(prefix, since, cancellationToken))
            {
                yield return e;
            }

            yield break;
        }

        try
        {
            long last = since;
            foreach (WatchEvent e in replay)
            {
                last = e.Revision;
                yield return e;
            }

            await foreach (WatchEvent e in subscriber.Events.Reader.ReadAllAsync(cancellationToken))
            {
                if (e.Revision > last)
                {
                    last = e.Revision;
                    yield return e;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(subscriber);
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await FillAsync(cancellationToken);
                await foreach (WatchEvent e in _store.WatchAsync(_prefix, _revision, cancellationToken))
                {
                    Apply(e);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.WatcherTooSlow or StorageErrorCode.Compacted or StorageErrorCode.Unavailable)
            {
                LogRestart(_logger, _prefix, e.Message);
                Reset(e);
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    /// <summary>Lists the prefix (in pages, at one revision) into the cache.</summary>
    private async Task FillAsync(CancellationToken cancellationToken)
    {
        var items = new List<KeyValue>();
        ListResult page = await _store.ListAsync(_prefix, new ListOptions(Limit: 1000), cancellationToken);
        items.AddRange(page.Items);
        while (page.Continue is not null)
        {
            page = await _store.ListAsync(_prefix, new ListOptions(Limit: 1000, Continue: page.Continue), cancellationToken);
            items.AddRange(page.Items);
        }

        lock (_lock)
        {
            _items.Clear();
            foreach (KeyValue kv in items)
            {
                _items[kv.Key] = kv;
            }

            _ring.Clear();
            _revision = _floor = page.Revision;
            _ready.TrySetResult();
        }
    }

    private void Apply(WatchEvent e)
    {
        lock (_lock)
        {
            if (e.Type == WatchEventType.Put)
            {
                _items[e.Kv.Key] = e.Kv;
            }
            else
            {
                _items.Remove(e.Kv.Key);
            }

            _revision = e.Revision;
            _ring.Enqueue(e);
            if (_ring.Count > _ringCapacity)
            {
                _floor = _ring.Dequeue().Revision;
            }

            for (int i = _subscribers.Count - 1; i >= 0; i--)
            {
                Subscriber s = _subscribers[i];
                if (e.Kv.Key.StartsWith(s.Prefix, StringComparison.Ordinal) && !s.Events.Writer.TryWrite(e))
                {
                    s.Events.Writer.TryComplete(new StorageException(StorageErrorCode.WatcherTooSlow, s.Prefix, "the client fell too far behind"));
                    _subscribers.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The store watch broke: every client watch ends (they resume or re-list) and the cache is rebuilt.</summary>
    private void Reset(StorageException reason)
    {
        lock (_lock)
        {
            foreach (Subscriber s in _subscribers)
            {
                s.Events.Writer.TryComplete(reason.Code == StorageErrorCode.Compacted ? reason : new StorageException(StorageErrorCode.WatcherTooSlow, s.Prefix, reason.Message));
            }

            _subscribers.Clear();
            if (_ready.Task.IsCompleted)
            {
                _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (Exception e) when (e is StorageException or OperationCanceledException)
            {
                // Stopped in its back-off after the store became unavailable, or failed: either way it is over.
            }
        }

        lock (_lock)
        {
            foreach (Subscriber s in _subscribers)
            {
                s.Events.Writer.TryComplete();
            }
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch cache of {Prefix} restarts: {Reason}")]
    private static partial void LogRestart(ILogger logger, string prefix, string reason);

    private sealed record Subscriber(string Prefix, Channel<WatchEvent> Events);
}
