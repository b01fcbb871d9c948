using System.Text.Json;
using System.Text.Json.Serialization;
using Navarch.ApiServer;

namespace Navarch.Server.Etcd;

/// <summary>
/// Who this server's etcd member is, kept in <c>&lt;data-dir&gt;/server/db/etcd/config.json</c> (k3s keeps the same in
/// <c>db/etcd/config</c>): written when the member is made, read at every later start (the name must stay the same
/// for the member to find its data again) and by <c>navarch etcd</c> and the snapshot/restore code.
/// </summary>
internal sealed record EtcdMemberConfig
{
    /// <summary>The member name, <c>&lt;node-name&gt;-&lt;8 hex&gt;</c> as k3s names them.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>The client URL this member advertises (<c>https://&lt;address&gt;:2379</c>).</summary>
    [JsonPropertyName("clientUrl")]
    public required string ClientUrl { get; init; }

    /// <summary>The peer URL this member advertises (<c>https://&lt;address&gt;:2380</c>).</summary>
    [JsonPropertyName("peerUrl")]
    public required string PeerUrl { get; init; }

    /// <summary>Every URL etcd listens for clients on (the client URL, and loopback when bound to every address).</summary>
    [JsonPropertyName("listenClientUrls")]
    public required List<string> ListenClientUrls { get; init; }

    /// <summary>
    /// etcd's <c>--initial-cluster</c> when the member was made (itself alone, or every member of the cluster it joined):
    /// passed at every start, as etcd reads it only while its data dir is empty (a start that failed before etcd wrote it).
    /// </summary>
    [JsonPropertyName("initialCluster")]
    public required string InitialCluster { get; init; }

    /// <summary><c>new</c> (the first server) or <c>existing</c> (a joined one).</summary>
    [JsonPropertyName("initialClusterState")]
    public required string InitialClusterState { get; init; }

    /// <summary>etcd's data directory (<c>&lt;data-dir&gt;/server/db/etcd</c>).</summary>
    [JsonPropertyName("dataDir")]
    public required string DataDir { get; init; }

    /// <summary>The folder of the member's TLS files (<c>&lt;data-dir&gt;/server/tls/etcd</c>).</summary>
    [JsonPropertyName("tlsDir")]
    public required string TlsDir { get; init; }

    /// <summary><c>&lt;data-dir&gt;/server/db/etcd</c>.</summary>
    public static string DataDirIn(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), "server", "db", "etcd");

    /// <summary><c>&lt;data-dir&gt;/server/db/etcd/config.json</c>.</summary>
    public static string PathIn(string dataDir) => Path.Combine(DataDirIn(dataDir), "config.json");

    /// <summary>The member written under <paramref name="dataDir"/>, or null when this server has none.</summary>
    public static EtcdMemberConfig? Read(string dataDir)
    {
        string path = PathIn(dataDir);
        return File.Exists(path) ? JsonSerializer.Deserialize<EtcdMemberConfig>(File.ReadAllText(path)) : null;
    }

    /// <summary>Writes the file (0600; its folder 0700, as etcd wants its data dir).</summary>
    public void Write()
    {
        PrivateFiles.CreateDirectory(DataDir);
        PrivateFiles.Write(Path.Combine(DataDir, "config.json"), JsonSerializer.Serialize(this, Indented) + "\n");
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
