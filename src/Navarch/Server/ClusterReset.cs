using Microsoft.Extensions.Logging;
using Navarch.Snapshots;
using Navarch.Storage.Etcd;
using Navarch.Storage.Sqlite;

namespace Navarch.Server;

/// <summary>
/// <c>navarch server --cluster-reset --cluster-reset-restore-path &lt;snapshot&gt;</c>, run before the datastore opens:
/// the snapshot replaces the embedded datastore (SQLite's state.db, or the embedded etcd's data dir as a new
/// single-member cluster), the old one kept aside, and the server then starts on it with every object at its
/// snapshot revision. Without a snapshot, an embedded etcd's membership alone is reset (etcd's
/// <c>--force-new-cluster</c>): the member becomes the sole member of a cluster that keeps its data. As k3s, a reset leaves <c>server/db/reset-flag</c>, so a server restarted with the flags still
/// on refuses to restore again over the new writes; a start without them removes the flag.
/// </summary>
internal static partial class ClusterReset
{
    public static async Task RunAsync(string dataDir, string datastoreEndpoint, SnapshotOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        string flag = Path.Combine(dataDir, "server", "db", "reset-flag");
        if (!options.ClusterReset)
        {
            File.Delete(flag);
            return;
        }

        if (File.Exists(flag))
        {
            throw new InvalidDataException($"the datastore was reset already ({flag} exists): start the server again without --cluster-reset and --cluster-reset-restore-path");
        }

        if (datastoreEndpoint.Length > 0)
        {
            throw new InvalidDataException("--cluster-reset resets the embedded datastore; an external etcd (--datastore-endpoint) is restored with etcdctl snapshot restore");
        }

        if (options.ClusterResetRestorePath is not { } snapshot)
        {
            if (EmbeddedEtcdConfig.Read(dataDir) is not null)
            {
                // The membership alone is reset: the embedded etcd starts with --force-new-cluster (EmbeddedEtcdOptions.ForceNewCluster).
                WriteFlag(flag, "force-new-cluster");
                LogMembershipReset(logger);
                return;
            }

            throw new InvalidDataException("--cluster-reset on the SQLite datastore needs --cluster-reset-restore-path: it has no members to reset");
        }

        snapshot = Path.GetFullPath(snapshot);
        string? kept;
        try
        {
            kept = EmbeddedEtcdConfig.Read(dataDir) is { } etcd
                ? await EtcdSnapshotRestore.RestoreAsync(snapshot, EmbeddedEtcdConfig.DataDir(dataDir), etcd.Name, etcd.PeerUrl, time, cancellationToken: cancellationToken)
                : await SqliteSnapshot.RestoreAsync(snapshot, Path.Combine(dataDir, "server", "db", "state.db"), time, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException(e.Message, e);
        }

        WriteFlag(flag, snapshot);
        LogRestored(logger, snapshot, kept ?? "(none)");
    }

    /// <summary>Whether this start resets the embedded etcd's membership without a snapshot (etcd's --force-new-cluster).</summary>
    public static bool ForcesNewCluster(SnapshotOptions options) => options is { ClusterReset: true, ClusterResetRestorePath: null };

    private static void WriteFlag(string flag, string what)
    {
        ApiServer.PrivateFiles.CreateDirectory(Path.GetDirectoryName(flag)!);
        ApiServer.PrivateFiles.Write(flag, what + "\n");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Managed etcd cluster membership reset: this server is the sole member, its data kept. Start it without --cluster-reset next time; other servers rejoin after their server/db is backed up and deleted")]
    private static partial void LogMembershipReset(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Datastore restored from snapshot {Snapshot}; the previous one is kept as {Kept}. Start the server without --cluster-reset next time")]
    private static partial void LogRestored(ILogger logger, string snapshot, string kept);
}
