namespace Navarch.Scheduler.Config;

/// <summary>One pluginConfig entry: the plugin's name and its args, kept untyped until the plugin reads them.</summary>
public sealed class PluginArgsConfiguration
{
    /// <summary>The plugin the args are for.</summary>
    public string Name { get; set; } = "";

    /// <summary>The args as parsed YAML.</summary>
    public object? Args { get; set; }
}
