namespace Navarch.Scheduler.Config;

/// <summary>A plugin by name, with a score weight.</summary>
public sealed class PluginReference
{
    /// <summary>The plugin's name, e.g. NodeResourcesFit.</summary>
    public string Name { get; set; } = "";

    /// <summary>The score weight (Score only; 0 means the default).</summary>
    public int Weight { get; set; }
}
