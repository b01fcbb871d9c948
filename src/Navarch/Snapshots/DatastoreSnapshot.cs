using Navarch.Storage.Etcd;
using Navarch.Storage.Sqlite;

namespace Navarch.Snapshots;

/// <summary>
/// <c>navarch snapshot save</c>'s way to the datastore of a data dir, while its server runs: an etcd given by
/// <c>--etcd-endpoint</c>, else the embedded etcd the data dir names, else its SQLite file (an online backup beside the
/// server's own connections).
/// </summary>
internal static class DatastoreSnapshot
{
    /// <summary>Takes a snapshot into <paramref name="path"/>; returns the backend it came from ("sqlite", "etcd").</summary>
    public static async Task<string> SaveAsync(string dataDir, string? etcdEndpoint, string path, CancellationToken cancellationToken)
    {
        if (etcdEndpoint is { Length: > 0 })
        {
            await EtcdSnapshot.SaveAsync(etcdEndpoint, TlsFor(dataDir, etcdEndpoint), path, cancellationToken);
            return "etcd";
        }

        if (EmbeddedEtcdConfig.Read(dataDir) is { } embedded)
        {
            await EtcdSnapshot.SaveAsync(embedded.ClientUrl, TlsFor(dataDir, embedded.ClientUrl), path, cancellationToken);
            return "etcd";
        }

        string database = Path.Combine(dataDir, "server", "db", "state.db");
        if (!File.Exists(database))
        {
            throw new InvalidDataException($"no datastore in {Path.Combine(dataDir, "server", "db")} (neither state.db nor etcd/config.json): give the --data-dir of a server, or --etcd-endpoint");
        }

        await SqliteSnapshot.SaveAsync(database, path, cancellationToken);
        return "sqlite";
    }

    /// <summary>An https endpoint is reached with the embedded etcd's client certificate and CA.</summary>
    private static EtcdClientTls? TlsFor(string dataDir, string endpoint)
    {
        if (!endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        EtcdClientTls tls = EmbeddedEtcdConfig.Tls(dataDir);
        foreach (string file in new[] { tls.CaFile, tls.CertFile, tls.KeyFile })
        {
            if (!File.Exists(file))
            {
                throw new InvalidDataException($"{endpoint} is https but {file} does not exist: the etcd client certificate, key and CA are read from {Path.GetDirectoryName(file)}");
            }
        }

        return tls;
    }
}
