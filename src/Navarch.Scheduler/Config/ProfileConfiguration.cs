namespace Navarch.Scheduler.Config;

/// <summary>One scheduling profile: the schedulerName pods pick it by, plugin changes and plugin arguments.</summary>
public sealed class ProfileConfiguration
{
    /// <summary>The schedulerName pods name to be scheduled by this profile.</summary>
    public string SchedulerName { get; set; } = "default-scheduler";

    /// <summary>Overrides the configuration-wide share for this profile when set.</summary>
    public int? PercentageOfNodesToScore { get; set; }

    /// <summary>Plugins enabled and disabled per extension point, applied to the defaults.</summary>
    public PluginsConfiguration Plugins { get; set; } = new();

    /// <summary>Arguments per plugin, e.g. NodeResourcesFitArgs.</summary>
    public List<PluginArgsConfiguration> PluginConfig { get; set; } = [];
}
