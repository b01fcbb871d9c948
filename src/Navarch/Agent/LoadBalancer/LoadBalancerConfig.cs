using System.Text.Json;
using System.Text.Json.Serialization;

namespace Navarch.Agent.LoadBalancer;

/// <summary>
/// The server list a restarted agent starts from (k3s's <c>&lt;data-dir&gt;/agent/etc/k3s-agent-load-balancer.json</c>,
/// same fields): the server URL it was given and every address it knew. A file written for another server URL is ignored.
/// </summary>
internal sealed record LoadBalancerConfig
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The first server the agent was given.</summary>
    [JsonPropertyName("ServerURL")]
    public string ServerUrl { get; init; } = "";

    /// <summary>Every server address (<c>host:port</c>) the balancer knew.</summary>
    [JsonPropertyName("ServerAddresses")]
    public IReadOnlyList<string> ServerAddresses { get; init; } = [];

    /// <summary>The file's list when it was written for <paramref name="serverUrl"/>; empty when absent, unreadable or another server's.</summary>
    public static IReadOnlyList<string> Read(string path, string serverUrl)
    {
        try
        {
            LoadBalancerConfig? config = JsonSerializer.Deserialize<LoadBalancerConfig>(File.ReadAllText(path), Json);
            return config is not null && config.ServerUrl == serverUrl ? config.ServerAddresses : [];
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Writes the file whole (a new file renamed over the old, so a crash leaves one or the other).</summary>
    public void Write(string path)
    {
        ApiServer.PrivateFiles.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        ApiServer.PrivateFiles.Write(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }
}
