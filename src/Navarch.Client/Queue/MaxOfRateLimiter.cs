namespace Navarch.Client.Queue;

/// <summary>The longest delay of several limiters (client-go's MaxOfRateLimiter).</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class MaxOfRateLimiter<T>(params IRateLimiter<T>[] limiters) : IRateLimiter<T>
    where T : notnull
{
    /// <inheritdoc />
    public TimeSpan When(T item) => limiters.Select(l => l.When(item)).Max();

    /// <inheritdoc />
    public void Forget(T item)
    {
        foreach (IRateLimiter<T> limiter in limiters)
        {
            limiter.Forget(item);
        }
    }

    /// <inheritdoc />
    public int NumRequeues(T item) => limiters.Max(l => l.NumRequeues(item));
}
