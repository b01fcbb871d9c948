using Etcdserverpb;

namespace Navarch.Storage.Etcd;

public sealed partial class EtcdStore : ISnapshotSource
{
    /// <inheritdoc />
    public Task SaveSnapshotAsync(string path, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed("/");
        return EtcdSnapshot.SaveAsync(new Maintenance.MaintenanceClient(_channel), path, cancellationToken);
    }
}
