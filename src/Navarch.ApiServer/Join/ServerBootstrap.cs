using System.Text.Json.Serialization;

namespace Navarch.ApiServer.Join;

/// <summary>
/// What a joining server receives from <c>GET /v1-navarch/server-bootstrap</c> (k3s's <c>/v1-k3s/server-bootstrap</c>):
/// the cluster's shared secrets — the files every server must hold alike (the cluster CA with its key, the service
/// account signing key, the request-header CA, the secrets encryption config) — and where the embedded etcd's members
/// take client requests, so the joiner can add itself as a member.
/// </summary>
public sealed class ServerBootstrap
{
    /// <summary>
    /// The shared files, by their path under <c>&lt;data-dir&gt;/server</c>, exactly these and no others (a joiner writes
    /// only names from this list).
    /// </summary>
    public static IReadOnlyList<string> SharedFiles { get; } =
    [
        "tls/server-ca.crt",
        "tls/server-ca.key",
        "tls/server-ca-previous.crt",
        "tls/server-ca-cross-signed.crt",
        "tls/service.key",
        "tls/request-header-ca.crt",
        "tls/request-header-ca.key",
        "cred/encryption-config.json",
    ];

    /// <summary>The shared files present on the answering server, PEM or JSON text by path (see <see cref="SharedFiles"/>).</summary>
    [JsonPropertyName("files")]
    public Dictionary<string, string> Files { get; init; } = [];

    /// <summary>The client URLs of the embedded etcd's members; empty when the server runs no embedded etcd.</summary>
    [JsonPropertyName("etcdClientUrls")]
    public List<string> EtcdClientUrls { get; init; } = [];

    /// <summary>Reads the shared files present under <paramref name="serverDir"/>.</summary>
    public static Dictionary<string, string> ReadFiles(string serverDir) =>
        SharedFiles.Select(name => (name, path: Path.Combine(serverDir, name)))
            .Where(f => File.Exists(f.path))
            .ToDictionary(f => f.name, f => File.ReadAllText(f.path), StringComparer.Ordinal);
}
