using Microsoft.Extensions.Logging;
using Navarch.ApiServer.Join;
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
    /// <param name="embedded">The embedded etcd this server runs (<c>--cluster-init</c> or a join), null on SQLite.</param>
    /// <param name="token">The server token (<c>--token</c>): on a data dir without the cluster CA, it decrypts the
    /// snapshot's bootstrap data (<see cref="BootstrapData"/>), as k3s restores onto a new machine.</param>
    public static async Task RunAsync(string dataDir, string datastoreEndpoint, SnapshotOptions options, Etcd.EmbeddedEtcdOptions? embedded, string? token, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
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
            // An etcd snapshot needs an embedded etcd to restore into; on SQLite the file is checked as a SQLite snapshot.
            bool sqliteSnapshot = SqliteSnapshot.IsSnapshot(snapshot);
            bool etcdSnapshot = !sqliteSnapshot && (embedded is not null || EmbeddedEtcdConfig.Read(dataDir) is not null);
            if ((etcdSnapshot || sqliteSnapshot) && !File.Exists(Path.Combine(dataDir, "server", "tls", "server-ca.crt")))
            {
                await RestoreBootstrapAsync(snapshot, sqliteSnapshot, dataDir, embedded, token, time, logger, cancellationToken);
            }

            if (etcdSnapshot && embedded is not null && EmbeddedEtcdConfig.Read(dataDir) is null)
            {
                // A data dir without a member (a new machine): this server's member of a new cluster, the snapshot's data under it.
                Etcd.EmbeddedEtcd.WriteNewMember(embedded);
            }

            kept = EmbeddedEtcdConfig.Read(dataDir) is { } etcd
                ? await EtcdSnapshotRestore.RestoreAsync(snapshot, EmbeddedEtcdConfig.DataDir(dataDir), etcd.Name, etcd.PeerUrl, time, cancellationToken: cancellationToken)
                : await SqliteSnapshot.RestoreAsync(snapshot, Path.Combine(dataDir, "server", "db", "state.db"), time, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException(e.Message, e);
        }

        WriteFlag(flag, snapshot);
        // The revision bump waits for the store (BumpRevisionIfRestoredAsync); a crash before it leaves this for the next start.
        WriteFlag(BumpFlag(dataDir), snapshot);

        LogRestored(logger, snapshot, kept ?? "(none)");
    }

    /// <summary>
    /// After a snapshot was restored (etcd or SQLite), before the store serves: every later resourceVersion above any
    /// served before the restore, and the older ones compacted (410 Gone), as k3s's <c>--bump-revision --mark-compacted</c>
    /// (<see cref="Storage.IRevisionBump"/>). The bump exceeds the writes a cluster can have made after its
    /// snapshot was taken (etcd's own example amount, 1e9: ten years at three writes a second).
    /// </summary>
    public static async Task BumpRevisionIfRestoredAsync(string dataDir, Storage.IStore store, ILogger logger, CancellationToken cancellationToken)
    {
        string pending = BumpFlag(dataDir);
        if (!File.Exists(pending) || store is not Storage.IRevisionBump bumped)
        {
            return;
        }

        long offset = await bumped.BumpRevisionAsync(RevisionBump, cancellationToken);
        File.Delete(pending);
        LogBumped(logger, RevisionBump, offset);
    }

    private const long RevisionBump = 1_000_000_000;

    private static string BumpFlag(string dataDir) => Path.Combine(dataDir, "server", "db", "bump-revision");

    /// <summary>
    /// The cluster CA, keys and encryption config of a data dir that lost them, from the snapshot's bootstrap data
    /// decrypted with the server token; refused without a token, with a wrong one, or from a snapshot that holds none.
    /// </summary>
    private static async Task RestoreBootstrapAsync(string snapshot, bool sqliteSnapshot, string dataDir, Etcd.EmbeddedEtcdOptions? embedded, string? token, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new InvalidDataException($"{Path.Combine(dataDir, "server", "tls")} holds no cluster CA: restoring onto a new data dir needs the cluster's server token (--token), which decrypts the CA and keys kept in the snapshot");
        }

        string serverDir = Path.Combine(dataDir, "server");
        string key = BootstrapData.KeyFor(token);
        byte[] stored = (sqliteSnapshot
            ? await SqliteSnapshot.ReadValueAsync(snapshot, key, cancellationToken)
            : await Etcd.SnapshotBootstrapReader.ReadAsync(snapshot, key, Path.Combine(serverDir, "db"), embedded?.Binary ?? Etcd.EtcdSupervisor.DefaultBinary, logger, time, cancellationToken))
            ?? throw new InvalidDataException($"{snapshot} holds no bootstrap data for this --token (a snapshot of another cluster, another token, or of a server older than bootstrap data): restore it onto the data dir that holds the cluster's server/tls");
        Dictionary<string, string> files = BootstrapData.TryDecrypt(stored, token)
            ?? throw new InvalidDataException($"--token does not decrypt the bootstrap data in {snapshot}: give the cluster's server token");
        BootstrapData.WriteFiles(files, serverDir);
        LogBootstrapRestored(logger, files.Count, serverDir);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revisions after the restore start {Bump} above the snapshot's (revision offset {Offset}); older resourceVersions are compacted")]
    private static partial void LogBumped(ILogger logger, long bump, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster CA, keys and encryption config ({Count} files) restored from the snapshot's bootstrap data into {ServerDir}")]
    private static partial void LogBootstrapRestored(ILogger logger, int count, string serverDir);
}
