namespace Navarch.Scheduler.Config;

/// <summary>The plugin sets per extension point; multiPoint applies to every point a plugin implements.</summary>
public sealed class PluginsConfiguration
{
    /// <summary>Applies to every extension point.</summary>
    public PluginSet MultiPoint { get; set; } = new();

    /// <summary>PreFilter plugins.</summary>
    public PluginSet PreFilter { get; set; } = new();

    /// <summary>Filter plugins.</summary>
    public PluginSet Filter { get; set; } = new();

    /// <summary>PostFilter plugins.</summary>
    public PluginSet PostFilter { get; set; } = new();

    /// <summary>PreScore plugins.</summary>
    public PluginSet PreScore { get; set; } = new();

    /// <summary>Score plugins (with weights).</summary>
    public PluginSet Score { get; set; } = new();

    /// <summary>Reserve plugins.</summary>
    public PluginSet Reserve { get; set; } = new();

    /// <summary>PreBind plugins.</summary>
    public PluginSet PreBind { get; set; } = new();

    /// <summary>Bind plugins.</summary>
    public PluginSet Bind { get; set; } = new();
}
