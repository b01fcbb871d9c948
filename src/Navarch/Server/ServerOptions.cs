using Navarch.Agent;
using Navarch.ApiServer;
using Navarch.Controllers;
using Navarch.Scheduler;

namespace Navarch.Server;

/// <summary>
/// What <c>navarch server</c> (or <c>navarch apiserver</c>) runs, parsed from its flags (k3s's control config). A
/// component whose options are null does not run.
/// </summary>
internal sealed record ServerOptions
{
    /// <summary>The API server's settings.</summary>
    public required ApiServerOptions ApiServer { get; init; }

    /// <summary><c>--datastore-endpoint</c>: empty for the embedded SQLite store, or etcd client URLs.</summary>
    public string DatastoreEndpoint { get; init; } = "";

    /// <summary>Scheduled snapshots of the datastore and <c>--cluster-reset</c>.</summary>
    public Snapshots.SnapshotOptions Snapshots { get; init; } = new();

    /// <summary>
    /// The embedded etcd member this server runs instead of SQLite (<c>--cluster-init</c>, <c>--server</c> to join, or a
    /// data dir that has one); null otherwise.
    /// </summary>
    public Etcd.EmbeddedEtcdOptions? EmbeddedEtcd { get; init; }

    /// <summary>The controller manager's settings (its root CA bundle is the one its client trusts, filled in at start).</summary>
    public ControllerManagerOptions? ControllerManager { get; init; }

    /// <summary>The scheduler's settings.</summary>
    public SchedulerOptions? Scheduler { get; init; }

    /// <summary>This machine's agent (kubelet and Service proxy); its kubelet API credentials are issued by the cluster CA at start.</summary>
    public AgentOptions? Agent { get; init; }

    /// <summary>The in-process cluster DNS server.</summary>
    public DnsOptions? Dns { get; init; }
}
