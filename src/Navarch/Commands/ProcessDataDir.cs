using Navarch.Config;
using Navarch.Kubelet.Node;

namespace Navarch.Commands;

/// <summary>
/// The data dir a running <c>navarch server|agent</c> uses, found as it found it (<see cref="ConfigLayers"/>): its
/// <c>--data-dir</c> flag, else NAVARCH_DATA_DIR in its environment, else <c>data-dir</c> in its config file (its
/// <c>--config</c>, else NAVARCH_CONFIG_FILE, else the default file). A service installed by scripts/install.sh names
/// its data dir only in its config file, so <c>navarch killall</c> finds it here.
/// </summary>
internal static class ProcessDataDir
{
    /// <summary>The data dir of process <paramref name="pid"/> with arguments <paramref name="args"/>; null when it uses the default.</summary>
    public static string? Of(int pid, string[] args)
    {
        if (NodeTeardown.DataDirFlag(args) is { } flag)
        {
            return flag;
        }

        IReadOnlyDictionary<string, string> environment = Environment(pid);
        if (environment.TryGetValue(ConfigLayers.EnvironmentName("data-dir"), out string? fromEnvironment) && fromEnvironment.Length > 0)
        {
            return fromEnvironment;
        }

        int config = Array.FindIndex(args, a => a is "--config" or "-c");
        string? file = config >= 0 && config + 1 < args.Length ? args[config + 1]
            : args.FirstOrDefault(a => a.StartsWith("--config=", StringComparison.Ordinal))?["--config=".Length..];
        if (string.IsNullOrEmpty(file))
        {
            file = environment.TryGetValue(ConfigLayers.ConfigFileVariable, out string? named) && named.Length > 0 ? named : ConfigLayers.DefaultConfigFile;
        }

        try
        {
            return File.Exists(file) && ConfigFile.Load(file).TryGetValue("data-dir", out IReadOnlyList<string>? values) && values.Count > 0 ? values[^1] : null;
        }
        catch (InvalidDataException)
        {
            // A file it could not have started with: not a process of any data dir we can tell.
            return null;
        }
    }

    /// <summary>The environment of a process (empty when it is gone or not readable).</summary>
    private static Dictionary<string, string> Environment(int pid)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (string entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = entry.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    variables[entry[..equals]] = entry[(equals + 1)..];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return variables;
    }
}
