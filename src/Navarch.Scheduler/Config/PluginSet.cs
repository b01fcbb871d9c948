namespace Navarch.Scheduler.Config;

/// <summary>Plugins to add to and remove from an extension point's defaults ("*" disables them all).</summary>
public sealed class PluginSet
{
    /// <summary>Added after the defaults (a default named again only changes its weight).</summary>
    public List<PluginReference> Enabled { get; set; } = [];

    /// <summary>Removed from the defaults.</summary>
    public List<PluginReference> Disabled { get; set; } = [];
}
