using System.CommandLine;

namespace Navarch.Config;

/// <summary>
/// <c>--config</c>/<c>-c</c>: the YAML file a command reads settings from (k3s's <c>--config</c>). Added to every
/// command that has no <c>--config</c> of its own; a distinct type so <see cref="ConfigLayers"/> can tell it from a
/// command's own <c>--config</c> (the scheduler's KubeSchedulerConfiguration).
/// </summary>
internal sealed class ConfigFileOption : Option<string?>
{
    public ConfigFileOption()
        : base("--config", "-c")
    {
        Description = $"YAML file of settings, keys are flag names without dashes (default {ConfigLayers.DefaultConfigFile}; env {ConfigLayers.ConfigFileVariable})";
        HelpName = "FILE";
    }
}
