using System.Text.Json;
using System.Text.Json.Serialization;
using Navarch.Storage.Etcd;

namespace Navarch.Snapshots;

/// <summary>
/// What a server with an embedded etcd (<c>--cluster-init</c>) leaves in its data dir for other commands: the member
/// in <c>&lt;data-dir&gt;/server/db/etcd/config.json</c> (its data beside it) and the client TLS files in
/// <c>&lt;data-dir&gt;/server/tls/etcd/</c>. The snapshot commands read it to reach the member.
/// </summary>
/// <param name="Name">The etcd member name.</param>
/// <param name="ClientUrl">Its https client URL.</param>
/// <param name="PeerUrl">Its https peer URL.</param>
internal sealed record EmbeddedEtcdConfig(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("clientUrl")] string ClientUrl,
    [property: JsonPropertyName("peerUrl")] string PeerUrl)
{
    /// <summary>The embedded etcd's data dir.</summary>
    public static string DataDir(string dataDir) => Path.Combine(dataDir, "server", "db", "etcd");

    /// <summary>The client TLS files of the embedded etcd.</summary>
    public static EtcdClientTls Tls(string dataDir)
    {
        string tls = Path.Combine(dataDir, "server", "tls", "etcd");
        return new EtcdClientTls(Path.Combine(tls, "server-ca.crt"), Path.Combine(tls, "client.crt"), Path.Combine(tls, "client.key"));
    }

    /// <summary>Reads the config, or null when this data dir has no embedded etcd.</summary>
    public static EmbeddedEtcdConfig? Read(string dataDir)
    {
        string path = Path.Combine(DataDir(dataDir), "config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<EmbeddedEtcdConfig>(File.ReadAllText(path)) is { Name.Length: > 0, ClientUrl.Length: > 0, PeerUrl.Length: > 0 } config
                ? config
                : throw new InvalidDataException($"{path} does not name the etcd member (name, clientUrl, peerUrl)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}");
        }
    }
}
