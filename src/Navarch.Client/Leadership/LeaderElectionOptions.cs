namespace Navarch.Client.Leadership;

/// <summary>Leader election on a coordination.k8s.io Lease, with Kubernetes' default timings.</summary>
public sealed record LeaderElectionOptions
{
    /// <summary>The Lease's name, e.g. "kube-controller-manager".</summary>
    public required string LeaseName { get; init; }

    /// <summary>The Lease's namespace.</summary>
    public string LeaseNamespace { get; init; } = "kube-system";

    /// <summary>This candidate's identity; by default the host name plus a unique suffix, as Kubernetes components use.</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid():N}";

    /// <summary>How long a lease is valid without renewal (--leader-elect-lease-duration, 15 s).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before it gives up (--leader-elect-renew-deadline, 10 s).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often candidates try (--leader-elect-retry-period, 2 s).</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// client-go's ReleaseOnCancel: a leader stopped cleanly (its token cancelled) gives the Lease up once its work has
    /// stopped, so a standby takes over at its next try instead of after the lease duration. Off by default, as in
    /// client-go; <c>navarch server</c> turns it on.
    /// </summary>
    public bool ReleaseOnCancel { get; init; }
}
