namespace Navarch.Client;

/// <summary>
/// A component's background rounds in the shape of apimachinery's <c>wait.Until</c>: one round when started (awaited, so
/// the component has acted once before it is called started), then one every period until disposed. A round that fails
/// — for any reason but the stop: the store unreachable for a while, a refusal nobody foresaw — is reported and the next
/// round tries again, so the loop never ends early.
/// </summary>
public sealed class PeriodicRounds : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _period;
    private readonly Func<CancellationToken, Task> _round;
    private readonly Action<Exception> _failed;
    private readonly TimeProvider _time;
    private Task _loop = Task.CompletedTask;

    private PeriodicRounds(TimeSpan period, Func<CancellationToken, Task> round, Action<Exception> failed, TimeProvider time)
    {
        _period = period;
        _round = round;
        _failed = failed;
        _time = time;
    }

    /// <summary>Runs <paramref name="round"/> once, then every <paramref name="period"/> in the background.</summary>
    public static async Task<PeriodicRounds> StartAsync(TimeSpan period, Func<CancellationToken, Task> round, Action<Exception> failed, TimeProvider time, CancellationToken cancellationToken)
    {
        var rounds = new PeriodicRounds(period, round, failed, time);
        await rounds.TryRoundAsync(cancellationToken).ConfigureAwait(false);
        rounds._loop = rounds.RunAsync(rounds._stop.Token);
        return rounds;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_period, _time, cancellationToken).ConfigureAwait(false);
                await TryRoundAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task TryRoundAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _round(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _failed(e);
        }
    }

    /// <summary>Stops the rounds and waits for the one running, if any.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
