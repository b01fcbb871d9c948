namespace Navarch.Client.Queue;

/// <summary>How long an item waits before it is retried (client-go's workqueue.TypedRateLimiter).</summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IRateLimiter<in T>
{
    /// <summary>The delay before <paramref name="item"/> may be processed again; counts a failure.</summary>
    TimeSpan When(T item);

    /// <summary>Forgets the failures of <paramref name="item"/> (it succeeded).</summary>
    void Forget(T item);

    /// <summary>How many times <paramref name="item"/> has failed since it was last forgotten.</summary>
    int NumRequeues(T item);
}
