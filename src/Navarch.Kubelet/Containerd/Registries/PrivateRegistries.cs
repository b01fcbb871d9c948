using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Navarch.Kubelet.Containerd.Registries;

/// <summary>
/// k3s's <c>registries.yaml</c> (<c>--private-registry</c>): <c>mirrors</c> (per registry, the endpoints to pull from
/// and rewrites of the repository name) and <c>configs</c> (per registry host, TLS files and credentials). The agent
/// turns it into containerd's registry configuration (<see cref="RegistryHostsFile"/> and the CRI registry auth).
/// </summary>
public sealed class PrivateRegistries
{
    /// <summary>k3s's default path of the file, here under /etc/navarch.</summary>
    public const string DefaultPath = "/etc/navarch/registries.yaml";

    /// <summary>No mirrors and no configs: what a missing file means.</summary>
    public static PrivateRegistries None { get; } = new();

    /// <summary>Per registry name (<c>docker.io</c>, <c>registry.example.com:5000</c>, or <c>*</c> for every registry).</summary>
    public Dictionary<string, RegistryMirror> Mirrors { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Per registry host (host[:port], a mirror endpoint's or an upstream's).</summary>
    public Dictionary<string, RegistryConfig> Configs { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Whether the file configures anything.</summary>
    public bool IsEmpty => Mirrors.Count == 0 && Configs.Count == 0;

    /// <summary>Reads <paramref name="path"/>; a missing file is <see cref="None"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid YAML or does not have registries.yaml's shape; the message is one line naming the file.</exception>
    public static PrivateRegistries Load(string path)
    {
        if (!File.Exists(path))
        {
            return None;
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a registries.yaml; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not valid YAML, not registries.yaml's shape, or an endpoint that is not a URL.</exception>
    public static PrivateRegistries Parse(string yaml, string source)
    {
        PrivateRegistries? parsed;
        try
        {
            // Unknown keys are ignored, as k3s's (non-strict) unmarshalling does.
            IDeserializer deserializer = new DeserializerBuilder()
                .WithNamingConvention(UnderscoredNamingConvention.Instance)
                .IgnoreUnmatchedProperties()
                .Build();
            parsed = deserializer.Deserialize<PrivateRegistries?>(yaml);
        }
        catch (YamlException e)
        {
            // A syntax error says what it is; a value of the wrong kind surfaces as a .NET conversion error, which
            // would only confuse.
            string why = e.InnerException is null or YamlException ? (e.InnerException ?? e).Message : "a value of the wrong kind here (endpoint is a list of URLs, rewrite a map, insecure_skip_verify true or false)";
            throw new InvalidDataException($"{source}: line {e.Start.Line}, column {e.Start.Column}: {why.ReplaceLineEndings(" ")}", e);
        }

        // Keys given without a value ("mirrors:", "docker.io:", "endpoint:") come back as nulls.
        parsed = new PrivateRegistries
        {
            Mirrors = (parsed?.Mirrors ?? []).ToDictionary(
                m => m.Key,
                m => new RegistryMirror { Endpoint = m.Value?.Endpoint ?? [], Rewrite = m.Value?.Rewrite ?? [] },
                StringComparer.Ordinal),
            Configs = (parsed?.Configs ?? []).Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal),
        };
        foreach ((string registry, RegistryMirror mirror) in parsed.Mirrors)
        {
            if (registry.Length == 0)
            {
                throw new InvalidDataException($"{source}: mirrors: a registry name is empty");
            }

            foreach (string endpoint in mirror.Endpoint)
            {
                if (RegistryHostsFile.EndpointUri(endpoint) is null)
                {
                    throw new InvalidDataException($"{source}: mirrors.\"{registry}\".endpoint: \"{endpoint}\" is not an http or https URL");
                }
            }

            foreach (string pattern in mirror.Rewrite.Keys)
            {
                if (MirrorRewrite.Invalid(pattern) is { } why)
                {
                    throw new InvalidDataException($"{source}: mirrors.\"{registry}\".rewrite: \"{pattern}\" is not a regular expression: {why.ReplaceLineEndings(" ")}");
                }
            }
        }

        return parsed;
    }
}
