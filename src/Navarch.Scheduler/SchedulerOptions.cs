using Navarch.Scheduler.Config;

namespace Navarch.Scheduler;

/// <summary>The scheduler's settings: its profiles, and leader election.</summary>
public sealed record SchedulerOptions
{
    /// <summary>The KubeSchedulerConfiguration (profiles by schedulerName).</summary>
    public SchedulerConfiguration Configuration { get; init; } = SchedulerConfiguration.Default();

    /// <summary>
    /// --leader-elect and its timings: schedule only while holding the Lease (named <see cref="KubeScheduler.LeaseName"/>);
    /// null schedules at once, holding no Lease.
    /// </summary>
    public Client.Leadership.LeaderElectionOptions? LeaderElection { get; init; }

    /// <summary>How long an assumed pod counts after its binding returned, if the informer never shows it.</summary>
    public TimeSpan AssumedPodTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The HTTPS port kube-scheduler serves /metrics and its health endpoints on (its --secure-port, 10259 in a cluster);
    /// null serves none (a library user serves <c>Metrics</c> itself, or not at all).
    /// </summary>
    public int? SecurePort { get; init; }
}
