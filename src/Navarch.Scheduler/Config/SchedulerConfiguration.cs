namespace Navarch.Scheduler.Config;

/// <summary>A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), the parts Navarch reads.</summary>
public sealed class SchedulerConfiguration
{
    /// <summary>kubescheduler.config.k8s.io/v1.</summary>
    public string ApiVersion { get; set; } = "kubescheduler.config.k8s.io/v1";

    /// <summary>KubeSchedulerConfiguration.</summary>
    public string Kind { get; set; } = "KubeSchedulerConfiguration";

    /// <summary>Share of nodes to find feasible before scoring; 0 means adaptive (50% − nodes/125, at least 5%).</summary>
    public int PercentageOfNodesToScore { get; set; }

    /// <summary>One profile per schedulerName served.</summary>
    public List<ProfileConfiguration> Profiles { get; set; } = [];

    /// <summary>The default: one "default-scheduler" profile with the default plugins.</summary>
    public static SchedulerConfiguration Default() => new() { Profiles = [new ProfileConfiguration()] };
}
