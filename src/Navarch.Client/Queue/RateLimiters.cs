namespace Navarch.Client.Queue;

/// <summary>Ready-made rate limiters.</summary>
public static class RateLimiters
{
    /// <summary>client-go's default controller rate limiter: 5 ms doubling to 1000 s per item, and 10 qps (burst 100) overall.</summary>
    public static IRateLimiter<T> DefaultController<T>(TimeProvider time)
        where T : notnull =>
        new MaxOfRateLimiter<T>(
            new ExponentialFailureRateLimiter<T>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000)),
            new TokenBucketRateLimiter<T>(10, 100, time));
}
