using System.Runtime.InteropServices;

namespace Navarch.Commands;

/// <summary>
/// Stopping a command: its cancellation token (Ctrl-C) or SIGTERM — the signal a supervisor or `kill` sends —
/// cancel <see cref="Token"/> so every component can stop in order instead of the process dying.
/// </summary>
internal sealed class Shutdown : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigterm;

    public Shutdown(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _stop.Cancel();
        });
    }

    /// <summary>Cancelled when the command is asked to stop.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Completes when the command is asked to stop.</summary>
    public async Task WaitAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
