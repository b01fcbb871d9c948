namespace Navarch.Client.Queue;

/// <summary>
/// An overall token bucket (client-go's BucketRateLimiter over golang.org/x/time/rate): <c>burst</c> retries at once,
/// then <c>qps</c> per second; each When() reserves a token and returns how long until it is due.
/// </summary>
/// <typeparam name="T">The item type (the bucket is shared by all items).</typeparam>
public sealed class TokenBucketRateLimiter<T>(double qps, int burst, TimeProvider time) : IRateLimiter<T>
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private DateTimeOffset _last = time.GetUtcNow();

    /// <inheritdoc />
    public TimeSpan When(T item)
    {
        lock (_lock)
        {
            DateTimeOffset now = time.GetUtcNow();
            _tokens = Math.Min(burst, _tokens + ((now - _last).TotalSeconds * qps));
            _last = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / qps);
        }
    }

    /// <inheritdoc />
    public void Forget(T item)
    {
    }

    /// <inheritdoc />
    public int NumRequeues(T item) => 0;
}
