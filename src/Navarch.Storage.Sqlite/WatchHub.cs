using System.Threading.Channels;

namespace Navarch.Storage.Sqlite;

/// <summary>
/// Fans committed events out to watchers in revision order. Only the writer loop publishes; a watcher whose
/// bounded buffer is full is ended with WatcherTooSlow instead of holding anyone up.
/// </summary>
internal sealed class WatchHub(long publishedRevision)
{
    private readonly Lock _lock = new();
    private readonly List<Subscriber> _subscribers = [];
    private long _published = publishedRevision;

    /// <summary>The revision of the last event published to watchers.</summary>
    public long Published
    {
        get
        {
            lock (_lock)
            {
                return _published;
            }
        }
    }

    /// <summary>Registers a watcher; it receives every event published after this call.</summary>
    public Subscriber Subscribe(string prefix, int capacity)
    {
        lock (_lock)
        {
            var subscriber = new Subscriber(prefix, capacity, _published);
            _subscribers.Add(subscriber);
            return subscriber;
        }
    }

    public void Unsubscribe(Subscriber subscriber)
    {
        lock (_lock)
        {
            _subscribers.Remove(subscriber);
        }
    }

    /// <summary>Publishes one commit's events; <paramref name="revision"/> is the store's revision after it (a revision bump commits no event).</summary>
    public void Publish(List<WatchEvent> events, long revision)
    {
        lock (_lock)
        {
            foreach (WatchEvent e in events)
            {
                for (int i = _subscribers.Count - 1; i >= 0; i--)
                {
                    Subscriber s = _subscribers[i];
                    if (e.Kv.Key.StartsWith(s.Prefix, StringComparison.Ordinal) && !s.Events.Writer.TryWrite(e))
                    {
                        s.Events.Writer.TryComplete(new StorageException(
                            StorageErrorCode.WatcherTooSlow, s.Prefix, $"watcher of {s.Prefix} fell more than {s.Capacity} events behind"));
                        _subscribers.RemoveAt(i);
                    }
                }

                _published = e.Revision;
            }

            _published = Math.Max(_published, revision);
        }
    }

    /// <summary>Ends every watcher, e.g. when the store closes.</summary>
    public void CloseAll(Exception reason)
    {
        lock (_lock)
        {
            foreach (Subscriber s in _subscribers)
            {
                s.Events.Writer.TryComplete(reason);
            }

            _subscribers.Clear();
        }
    }

    internal sealed class Subscriber(string prefix, int capacity, long startRevision)
    {
        public string Prefix { get; } = prefix;

        public int Capacity { get; } = capacity;

        /// <summary>Every event above this revision reaches <see cref="Events"/>; the rest is in the database.</summary>
        public long StartRevision { get; } = startRevision;

        public Channel<WatchEvent> Events { get; } = Channel.CreateBounded<WatchEvent>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    }
}
