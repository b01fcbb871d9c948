namespace Navarch.Proxy.Sync;

/// <summary>
/// kube-proxy's <c>BoundedFrequencyRunner</c>: runs a sync when asked (<see cref="Run"/>), never more often than
/// <c>minInterval</c> (requests meanwhile become one run) and at least every <c>maxInterval</c>. A failed run is
/// reported and retried after a delay that doubles from one second up to <c>maxInterval</c>; no failure ends the loop.
/// </summary>
internal sealed class BoundedFrequencyRunner(
    Func<CancellationToken, Task> run,
    TimeSpan minInterval,
    TimeSpan maxInterval,
    TimeProvider time,
    Action<Exception> onError) : IDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _requested = new(0, 1);

    /// <summary>Asks for a run as soon as the minimum interval allows.</summary>
    public void Run()
    {
        try
        {
            _requested.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already asked.
        }
    }

    /// <summary>Runs until cancelled; the first run is at once.</summary>
    public async Task LoopAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset last = DateTimeOffset.MinValue;
        TimeSpan? retry = null;
        bool due = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (retry is { } backOff && last + backOff - time.GetUtcNow() is var untilRetry && untilRetry > TimeSpan.Zero)
                {
                    // A change does not cut a failure's back-off short; it is served by the retry.
                    await Task.Delay(untilRetry, time, cancellationToken).ConfigureAwait(false);
                }
                else if (retry is null && !due && last + maxInterval - time.GetUtcNow() is var wait && wait > TimeSpan.Zero)
                {
                    using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    await Task.WhenAny(_requested.WaitAsync(wake.Token), Task.Delay(wait, time, wake.Token)).ConfigureAwait(false);
                    await wake.CancelAsync().ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                TimeSpan sinceLast = time.GetUtcNow() - last;
                if (sinceLast < minInterval)
                {
                    await Task.Delay(minInterval - sinceLast, time, cancellationToken).ConfigureAwait(false);
                }

                // Requests that came while waiting are served by this run.
                _requested.Wait(0, CancellationToken.None);
                last = time.GetUtcNow();
                due = false;
                await run(cancellationToken).ConfigureAwait(false);
                retry = null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                onError(e);
                retry = retry is { } previous ? TimeSpan.FromTicks(Math.Min(previous.Ticks * 2, Math.Max(maxInterval.Ticks, FirstRetry.Ticks))) : FirstRetry;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _requested.Dispose();
}
