using System.CommandLine;
using System.Net;
using Navarch.Server.Etcd;

namespace Navarch.Commands;

/// <summary>
/// <c>navarch server</c>'s embedded etcd flags, as k3s's: <c>--cluster-init</c> starts a new cluster on an embedded etcd
/// instead of SQLite, <c>--server</c> joins the cluster of another server (with the server token in <c>--token</c>).
/// A data dir that already holds a member keeps using it.
/// </summary>
internal sealed class EmbeddedEtcdFlags
{
    private readonly Option<bool> _clusterInit = new("--cluster-init") { Description = "Start a new cluster on an embedded etcd (Debian's /usr/bin/etcd, supervised, TLS from the cluster CA) instead of SQLite; an existing SQLite server's objects are migrated" };
    private readonly Option<string?> _server = new("--server", "-s") { Description = "Join the embedded etcd cluster of this server (https://<server>:6443), with the server token in --token" };
    private readonly Option<int> _clientPort = new("--etcd-client-port") { Description = "The embedded etcd's client port (a test aid)", DefaultValueFactory = _ => 2379, Hidden = true };
    private readonly Option<int> _peerPort = new("--etcd-peer-port") { Description = "The embedded etcd's peer port (a test aid)", DefaultValueFactory = _ => 2380, Hidden = true };

    /// <summary>Adds the flags and their checks to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_clusterInit);
        command.Options.Add(_server);
        command.Options.Add(_clientPort);
        command.Options.Add(_peerPort);
        command.Validators.Add(result =>
        {
            if (result.GetValue(_clusterInit) && result.GetValue(_server) is { Length: > 0 })
            {
                result.AddError("--cluster-init and --server exclude each other: the first server inits the cluster, the others join it");
            }
        });
    }

    /// <summary>The embedded etcd to run, or null (SQLite, or an external etcd from <c>--datastore-endpoint</c>).</summary>
    public EmbeddedEtcdOptions? Options(ParseResult parse, string dataDir, string nodeName, IPAddress bind, IPAddress advertise, string datastoreEndpoint, string? token, string serviceCidr)
    {
        string? join = parse.GetValue(_server) is { Length: > 0 } s ? s : null;
        bool embedded = parse.GetValue(_clusterInit) || join is not null || EmbeddedEtcd.ExistsIn(dataDir);
        if (!embedded || datastoreEndpoint.Length > 0)
        {
            return null;
        }

        return new EmbeddedEtcdOptions
        {
            DataDir = dataDir,
            NodeName = nodeName,
            BindAddress = bind,
            AdvertiseAddress = advertise,
            JoinServer = join,
            Token = token,
            ServiceCidr = serviceCidr,
            ClientPort = parse.GetValue(_clientPort),
            PeerPort = parse.GetValue(_peerPort),
        };
    }

    /// <summary>The client URL the member advertises (for the API server to hand to joining servers).</summary>
    public static IReadOnlyList<string> ClientUrls(EmbeddedEtcdOptions? options) => options is null ? [] : [EmbeddedEtcd.ExistsIn(options.DataDir) ? EtcdMemberConfig.Read(options.DataDir)!.ClientUrl : options.ClientUrl];
}
