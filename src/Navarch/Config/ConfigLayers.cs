using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Navarch.Config;

/// <summary>
/// Settings from beyond the command line, once for every command. Precedence: a flag on the command line, then the
/// environment variable <c>NAVARCH_&lt;FLAG_NAME&gt;</c> (upper case, dashes as underscores: <c>--data-dir</c> →
/// <c>NAVARCH_DATA_DIR</c>), then the YAML config file (key = flag name without dashes), then the flag's default.
/// It works by adding the missing flags' tokens to the command line and parsing again, so every command keeps
/// reading its options with <see cref="ParseResult.GetValue{T}(Option{T})"/> and validation stays System.CommandLine's.
/// Keys and variables for flags the command does not have are ignored (one file serves server and agent, as in k3s).
/// </summary>
internal static class ConfigLayers
{
    /// <summary>The config file read when none is named.</summary>
    public const string DefaultConfigFile = "/etc/navarch/config.yaml";

    /// <summary>The environment variable naming the config file (k3s: K3S_CONFIG_FILE).</summary>
    public const string ConfigFileVariable = "NAVARCH_CONFIG_FILE";

    /// <summary>Gives every command with an action a <c>--config</c> option, unless it has its own.</summary>
    public static void AddConfigOptions(Command command)
    {
        if (command.Action is not null && !command.Options.Any(o => o.Name == "--config"))
        {
            command.Options.Add(new ConfigFileOption());
        }

        foreach (Command sub in command.Subcommands)
        {
            AddConfigOptions(sub);
        }
    }

    /// <summary>The environment variable of a flag: <c>--node-name</c> → <c>NAVARCH_NODE_NAME</c>.</summary>
    public static string EnvironmentName(string flag) => "NAVARCH_" + flag.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    /// <summary>Parses <paramref name="args"/> with the environment and the config file filled in.</summary>
    /// <exception cref="InvalidDataException">A named config file is missing or not valid.</exception>
    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string defaultConfigFile = DefaultConfigFile)
    {
        ParseResult first = root.Parse(args);
        CommandResult leaf = first.CommandResult;
        if (leaf.Command.Action is null || first.Action is HelpAction)
        {
            return first;
        }

        IReadOnlyDictionary<string, IReadOnlyList<string>> file = LoadFile(first, leaf.Command, environment, defaultConfigFile);
        var extra = new List<string>();
        foreach (Option option in OptionsOf(leaf))
        {
            if (option is ConfigFileOption or HelpOption or VersionOption || option.Name == "--config" || first.GetResult(option) is { Implicit: false })
            {
                continue;
            }

            string key = option.Name.TrimStart('-');
            if (environment.TryGetValue(EnvironmentName(key), out string? value))
            {
                extra.AddRange(Tokens(option, [value]));
            }
            else if (file.TryGetValue(key, out IReadOnlyList<string>? values))
            {
                extra.AddRange(Tokens(option, values));
            }
        }

        if (extra.Count == 0)
        {
            return first;
        }

        // Before a "--" the added flags are still flags.
        var merged = args.ToList();
        int end = merged.IndexOf("--");
        merged.InsertRange(end < 0 ? merged.Count : end, extra);
        return root.Parse(merged);
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> LoadFile(ParseResult parse, Command command, IReadOnlyDictionary<string, string> environment, string defaultConfigFile)
    {
        string? named = command.Options.OfType<ConfigFileOption>().FirstOrDefault() is { } option ? parse.GetValue(option) : null;
        if (string.IsNullOrEmpty(named) && environment.TryGetValue(ConfigFileVariable, out string? fromEnvironment) && fromEnvironment.Length > 0)
        {
            named = fromEnvironment;
        }

        if (!string.IsNullOrEmpty(named))
        {
            return File.Exists(named) ? ConfigFile.Load(named) : throw new InvalidDataException($"config file {named} does not exist");
        }

        return File.Exists(defaultConfigFile) ? ConfigFile.Load(defaultConfigFile) : new Dictionary<string, IReadOnlyList<string>>();
    }

    /// <summary>The command's own options and the recursive options of its parents.</summary>
    private static IEnumerable<Option> OptionsOf(CommandResult leaf)
    {
        for (SymbolResult? result = leaf; result is not null; result = result.Parent)
        {
            if (result is CommandResult command)
            {
                foreach (Option option in command.Command.Options.Where(o => result == leaf || o.Recursive))
                {
                    yield return option;
                }
            }
        }
    }

    private static IEnumerable<string> Tokens(Option option, IReadOnlyList<string> values)
    {
        bool many = option.ValueType.IsArray || (option.ValueType != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(option.ValueType));
        foreach (string value in many ? values : values.TakeLast(1))
        {
            yield return option.Name;
            yield return value;
        }
    }
}
