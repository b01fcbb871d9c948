using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace Navarch.Storage.Etcd;

/// <summary>
/// Snapshots of etcd through its Maintenance API (what <c>etcdctl snapshot save</c> does): the member streams its
/// backend database at one revision, followed by its SHA-256, while it keeps serving; the file is that stream as is,
/// which <c>etcdctl snapshot restore</c> (and <see cref="EtcdSnapshotRestore"/>) checks and restores.
/// </summary>
public static class EtcdSnapshot
{
    /// <summary>Snapshots the etcd member at <paramref name="endpoint"/> (http, or https with <paramref name="tls"/>).</summary>
    public static async Task SaveAsync(string endpoint, EtcdClientTls? tls, string snapshotPath, CancellationToken cancellationToken = default)
    {
        using GrpcChannel channel = EtcdChannels.Create(endpoint, tls);
        await SaveAsync(new Maintenance.MaintenanceClient(channel), snapshotPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams a snapshot from <paramref name="maintenance"/> into a new snapshot file.</summary>
    internal static Task SaveAsync(Maintenance.MaintenanceClient maintenance, string snapshotPath, CancellationToken cancellationToken) =>
        SnapshotFile.WriteAsync(snapshotPath, async part =>
        {
            await using var file = new FileStream(part, FileMode.Truncate, FileAccess.Write);
            using AsyncServerStreamingCall<SnapshotResponse> call = maintenance.Snapshot(new SnapshotRequest(), cancellationToken: cancellationToken);
            await foreach (SnapshotResponse chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await file.WriteAsync(chunk.Blob.Memory, cancellationToken).ConfigureAwait(false);
            }
        });
}
