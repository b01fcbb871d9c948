using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Navarch.Storage.Etcd;

namespace Navarch.Server.Etcd;

/// <summary>
/// Reads the bootstrap data (<see cref="BootstrapData"/>) out of an etcd snapshot before the server has any
/// certificate: etcd 3.4 reads a snapshot only by running on it, so, as k3s's temporary etcd, the snapshot is restored
/// into a scratch directory and served there by an etcd on loopback without TLS for the one read, then removed.
/// </summary>
internal static class SnapshotBootstrapReader
{
    /// <summary>The stored value under <paramref name="key"/> in the snapshot, or null when it holds none.</summary>
    public static async Task<byte[]?> ReadAsync(string snapshot, string key, string scratchParent, string etcdBinary, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        string scratch = Path.Combine(scratchParent, $"bootstrap-read-{time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}");
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }

        ApiServer.PrivateFiles.CreateDirectory(Path.Combine(scratch, "db"));
        try
        {
            (int clientPort, int peerPort) = (FreeLoopbackPort(), FreeLoopbackPort());
            string clientUrl = $"http://127.0.0.1:{clientPort}";
            string peerUrl = $"http://127.0.0.1:{peerPort}";
            const string Name = "bootstrap-read";
            string dataDir = Path.Combine(scratch, "db", "etcd");
            await EtcdSnapshotRestore.RestoreAsync(snapshot, dataDir, Name, peerUrl, time, cancellationToken: cancellationToken);
            using GrpcChannel channel = EtcdStore.CreateChannel(clientUrl, new EtcdStoreOptions { Endpoints = clientUrl });
            await using var etcd = new EtcdSupervisor(
                [
                    "--name", Name, "--data-dir", dataDir,
                    "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                    "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                    "--initial-cluster", $"{Name}={peerUrl}",
                    "--logger", "zap", "--log-outputs", "stderr",
                ],
                scratch,
                channel,
                logger,
                time,
                etcdBinary);
            await etcd.StartAsync(cancellationToken);
            RangeResponse found = await new KV.KVClient(channel).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            return found.Kvs.Count == 1 ? found.Kvs[0].Value.ToByteArray() : null;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
