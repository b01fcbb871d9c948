using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Scheduler.Plugins.VolumeBinding;

/// <summary>The scheduler's informer caches of claims, volumes and classes (kube-scheduler's PVC, PV and StorageClass listers).</summary>
internal sealed class VolumeObjects(Indexer<V1PersistentVolumeClaim> claims, Indexer<V1PersistentVolume> volumes, Indexer<V1StorageClass> classes)
{
    /// <summary>No objects: a handle built without informers (unit tests).</summary>
    public static VolumeObjects Empty { get; } = new(new(), new(), new());

    public V1PersistentVolumeClaim? Claim(string @namespace, string name) => claims.Get(@namespace + "/" + name);

    public V1PersistentVolume? Volume(string name) => volumes.Get(name);

    public IReadOnlyList<V1PersistentVolume> Volumes() => volumes.List();

    public V1StorageClass? StorageClass(string? name) => string.IsNullOrEmpty(name) ? null : classes.Get(name);
}
