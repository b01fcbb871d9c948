using Microsoft.Extensions.Logging;
using Navarch.Storage;
using Navarch.Storage.Sqlite;

namespace Navarch.Server.Etcd;

/// <summary>
/// Converts a single server from SQLite to the embedded etcd (k3s's migration on <c>--cluster-init</c>): every key of
/// <c>&lt;data-dir&gt;/server/db/state.db</c> is created in etcd with its value as stored (encrypted values stay
/// encrypted: the keys are in <c>cred/</c>), then the file is renamed aside so it is not migrated again. Revisions are
/// etcd's new ones (clients relist); keys with a TTL (Events) get a fresh hour, Kubernetes' event TTL.
/// </summary>
internal static partial class SqliteMigration
{
    private static readonly TimeSpan EventTtl = TimeSpan.FromHours(1);

    /// <summary>Migrates <c>state.db</c> into <paramref name="etcd"/> when it is there; a key already in etcd is kept (a migration that stopped half way runs again).</summary>
    public static async Task MigrateIfPresentAsync(string dataDir, IStore etcd, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        string db = Path.Combine(Path.GetFullPath(dataDir), "server", "db", "state.db");
        if (!File.Exists(db))
        {
            return;
        }

        ILogger logger = loggers.CreateLogger(typeof(SqliteMigration));
        int copied = 0;
        await using (SqliteStore sqlite = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = db, LoggerFactory = loggers, Time = time }, cancellationToken))
        {
            string? next = null;
            do
            {
                ListResult page = await sqlite.ListAsync("/", new ListOptions(Limit: 500, Continue: next), cancellationToken);
                foreach (KeyValue kv in page.Items)
                {
                    try
                    {
                        await etcd.CreateAsync(kv.Key, kv.Value, kv.Lease != 0 ? new WriteOptions(EventTtl) : null, cancellationToken);
                        copied++;
                    }
                    catch (StorageException e) when (e.Code == StorageErrorCode.KeyExists)
                    {
                    }
                }

                next = page.Continue;
            }
            while (next is not null);
        }

        string aside = $"{db}.migrated-{time.GetUtcNow():yyyyMMddTHHmmssZ}";
        foreach (string suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(db + suffix))
            {
                File.Move(db + suffix, aside + suffix);
            }
        }

        LogMigrated(logger, copied, aside);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrated {Count} keys from SQLite into the embedded etcd; the SQLite file is kept as {Path}")]
    private static partial void LogMigrated(ILogger logger, int count, string path);
}
