using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Navarch.Config;

/// <summary>
/// A Navarch config file: one YAML mapping whose keys are flag names without the leading dashes and whose values are
/// scalars or, for flags that repeat, sequences of scalars (k3s's config.yaml).
/// </summary>
internal static class ConfigFile
{
    /// <summary>Reads <paramref name="path"/> into key → values; an empty file has no settings.</summary>
    /// <exception cref="InvalidDataException">The file is not a YAML mapping of scalars and sequences.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"config file {path}: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses config file text; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Parse(string text, string source)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"config file {source}: {e.Message}", e);
        }

        var settings = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return settings;
        }

        if (yaml.Documents[0].RootNode is not YamlMappingNode mapping)
        {
            throw new InvalidDataException($"config file {source}: expected a mapping of flag names to values");
        }

        foreach ((YamlNode keyNode, YamlNode valueNode) in mapping.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? throw new InvalidDataException($"config file {source}: keys must be flag names");
            settings[key.TrimStart('-')] = valueNode switch
            {
                YamlScalarNode { Value: null } => [],
                YamlScalarNode scalar => [scalar.Value],
                YamlSequenceNode sequence => sequence.Children.Select(item => (item as YamlScalarNode)?.Value
                    ?? throw new InvalidDataException($"config file {source}: {key}: list items must be scalars")).ToList(),
                _ => throw new InvalidDataException($"config file {source}: {key}: expected a value or a list of values"),
            };
        }

        return settings;
    }
}
