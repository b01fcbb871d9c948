namespace Navarch.Client.Queue;

/// <summary>Per-item exponential back-off: base × 2^failures, capped (client-go's ItemExponentialFailureRateLimiter).</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ExponentialFailureRateLimiter<T>(TimeSpan baseDelay, TimeSpan maxDelay) : IRateLimiter<T>
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<T, int> _failures = [];

    /// <inheritdoc />
    public TimeSpan When(T item)
    {
        lock (_lock)
        {
            int failures = _failures.GetValueOrDefault(item);
            _failures[item] = failures + 1;
            double delay = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 62));
            return delay >= maxDelay.TotalMilliseconds ? maxDelay : TimeSpan.FromMilliseconds(delay);
        }
    }

    /// <inheritdoc />
    public void Forget(T item)
    {
        lock (_lock)
        {
            _failures.Remove(item);
        }
    }

    /// <inheritdoc />
    public int NumRequeues(T item)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(item);
        }
    }
}
