using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Navarch.Scheduler.Config;

/// <summary>Reads a KubeSchedulerConfiguration YAML file, and plugin args into their typed shape.</summary>
public static class ConfigurationLoader
{
    private static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    private static readonly ISerializer Writer = new SerializerBuilder().Build();

    /// <summary>Parses YAML text; throws <see cref="InvalidDataException"/> with the reason when it is not valid.</summary>
    public static SchedulerConfiguration Parse(string yaml)
    {
        SchedulerConfiguration config;
        try
        {
            config = Reader.Deserialize<SchedulerConfiguration?>(yaml) ?? SchedulerConfiguration.Default();
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"invalid scheduler configuration: {e.Message}", e);
        }

        if (config.Kind != "KubeSchedulerConfiguration" || !config.ApiVersion.StartsWith("kubescheduler.config.k8s.io/", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"expected kind KubeSchedulerConfiguration of kubescheduler.config.k8s.io, got {config.Kind} of {config.ApiVersion}");
        }

        if (config.Profiles.Count == 0)
        {
            config.Profiles.Add(new ProfileConfiguration());
        }

        string? duplicate = config.Profiles.GroupBy(p => p.SchedulerName).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null)
        {
            throw new InvalidDataException($"duplicate profile with schedulerName \"{duplicate}\"");
        }

        return config;
    }

    /// <summary>Reads a file.</summary>
    public static SchedulerConfiguration Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Turns untyped args into <typeparamref name="T"/> (a round trip through YAML).</summary>
    internal static T ReadArgs<T>(object? args)
        where T : new()
    {
        if (args is null)
        {
            return new T();
        }

        return Reader.Deserialize<T?>(Writer.Serialize(args)) ?? new T();
    }
}
