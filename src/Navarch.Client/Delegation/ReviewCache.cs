namespace Navarch.Client.Delegation;

/// <summary>
/// The answers of TokenReviews or SubjectAccessReviews kept for a while, as the webhook authenticator's and authorizer's
/// caches keep them, so a scraper every few seconds does not cost the API server a review per request. Bounded: when
/// full, it is emptied rather than grown (the next requests simply ask again).
/// </summary>
internal sealed class ReviewCache<T>(TimeProvider time)
{
    private const int MaxEntries = 4096;

    private readonly Dictionary<string, (T Value, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public bool TryGet(string key, out T value)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Expires > time.GetUtcNow())
            {
                value = entry.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    public void Add(string key, T value, TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[key] = (value, time.GetUtcNow() + ttl);
        }
    }
}
