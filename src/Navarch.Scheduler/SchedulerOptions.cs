using Navarch.Scheduler.Config;

namespace Navarch.Scheduler;

/// <summary>The scheduler's settings: its profiles, and leader election timings (Kubernetes' defaults).</summary>
public sealed record SchedulerOptions
{
    /// <summary>The KubeSchedulerConfiguration (profiles by schedulerName).</summary>
    public SchedulerConfiguration Configuration { get; init; } = SchedulerConfiguration.Default();

    /// <summary>The Lease leader election holds in kube-system.</summary>
    public string LeaseName { get; init; } = "kube-scheduler";

    /// <summary>How long a lease is valid without renewal.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often candidates try.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an assumed pod counts after its binding returned, if the informer never shows it.</summary>
    public TimeSpan AssumedPodTtl { get; init; } = TimeSpan.FromSeconds(30);
}
