using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace Navarch.Client.Leadership;

/// <summary>
/// Runs work only while this process holds a Lease, on the official client's <c>LeaderElector</c> with a
/// <c>LeaseLock</c>: the one wrapper the controller manager and the scheduler both run under (their
/// <c>--leader-elect</c>). Like Kubernetes components, a leader that loses its lease stops its work and returns, so
/// the process can exit and start over rather than act on a stale view. (The client's elector uses the system clock,
/// not a <see cref="TimeProvider"/>; tests use short real durations.)
/// </summary>
public static class LeaderElection
{
    /// <summary>
    /// Campaigns until leading, runs <paramref name="lead"/> with a token cancelled when leadership is lost (or
    /// <paramref name="cancellationToken"/> is), waits for it to finish, and returns. With <paramref name="options"/>
    /// null (<c>--leader-elect=false</c>) it runs <paramref name="lead"/> at once, holding no Lease.
    /// </summary>
    public static async Task RunAsync(IKubernetes client, LeaderElectionOptions? options, Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lead);
        if (options is null)
        {
            await lead(cancellationToken).ConfigureAwait(false);
            return;
        }

        var lease = new LeaseLock(client, options.LeaseNamespace, options.LeaseName, options.Identity);
        using var elector = new LeaderElector(new LeaderElectionConfig(lease)
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        });
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task work = Task.CompletedTask;
        bool led = false;
        elector.OnStartedLeading += () =>
        {
            led = true;
            work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        };
        elector.OnStoppedLeading += () => leading.Cancel();
        try
        {
            await elector.RunUntilLeadershipLostAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await leading.CancelAsync().ConfigureAwait(false);
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
            }
        }

        if (led && options.ReleaseOnCancel && cancellationToken.IsCancellationRequested)
        {
            await ReleaseAsync(lease, options).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gives the Lease up if this candidate still holds it, as client-go's release: no holder, a one-second duration, the
    /// transitions kept. The work has stopped by now, so nobody acts for this candidate any more.
    /// </summary>
    private static async Task ReleaseAsync(LeaseLock lease, LeaderElectionOptions options)
    {
        using var deadline = new CancellationTokenSource(options.RenewDeadline);
        try
        {
            LeaderElectionRecord current = await lease.GetAsync(deadline.Token).ConfigureAwait(false);
            if (current?.HolderIdentity != options.Identity)
            {
                return;
            }

            // An empty holder, not a missing one: the official client's elector takes a Lease without a holder for one
            // to create, and an empty one for one to take over.
            DateTime now = DateTime.UtcNow;
            await lease.UpdateAsync(new LeaderElectionRecord { HolderIdentity = "", LeaseDurationSeconds = 1, AcquireTime = now, RenewTime = now, LeaderTransitions = current.LeaderTransitions }, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            // Not released: a standby takes over once the lease duration has passed.
        }
    }
}
