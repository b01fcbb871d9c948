using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// kube-apiserver's <c>--admission-control-config-file</c>: an <c>apiserver.config.k8s.io/v1</c> AdmissionConfiguration
/// (YAML or JSON) listing plugins, each with its configuration inline (<c>configuration:</c>) or in a file of its own
/// (<c>path:</c>, relative to this file).
/// </summary>
internal static class AdmissionConfiguration
{
    /// <summary>The configuration of plugin <paramref name="name"/> in the file, or null (no file, or no entry).</summary>
    public static JsonObject? PluginConfiguration(string? path, string name)
    {
        if (path is null)
        {
            return null;
        }

        JsonObject file = Read(path);
        if (file["kind"]?.GetValue<string>() is { } kind && kind != "AdmissionConfiguration")
        {
            throw new InvalidDataException($"{path}: expected kind AdmissionConfiguration, got {kind}");
        }

        foreach (JsonNode? plugin in file["plugins"]?.AsArray() ?? [])
        {
            if (plugin?["name"]?.GetValue<string>() != name)
            {
                continue;
            }

            if (plugin["configuration"] is JsonObject inline)
            {
                return inline;
            }

            if (plugin["path"]?.GetValue<string>() is { Length: > 0 } pluginPath)
            {
                return Read(Path.IsPathRooted(pluginPath) ? pluginPath : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "", pluginPath));
            }

            return null;
        }

        return null;
    }

    private static JsonObject Read(string path)
    {
        try
        {
            string text = File.ReadAllText(path, Encoding.UTF8);
            object? parsed = new DeserializerBuilder().Build().Deserialize(new StringReader(text));
            return JsonSerializer.SerializeToNode(parsed) as JsonObject ?? throw new InvalidDataException($"{path}: not an object");
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
