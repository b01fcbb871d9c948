using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Scheduler.Plugins.VolumeBinding;

/// <summary>
/// The scheduler's informer caches of claims, volumes and classes (kube-scheduler's PVC, PV and StorageClass listers),
/// claims and volumes behind an <see cref="AssumeCache{T}"/>; and the CSI objects VolumeBinding and NodeVolumeLimits
/// read: CSINodes, CSIDrivers and CSIStorageCapacities.
/// </summary>
internal sealed class VolumeObjects
{
    private readonly AssumeCache<V1PersistentVolumeClaim> _claims;
    private readonly AssumeCache<V1PersistentVolume> _volumes;
    private readonly Indexer<V1StorageClass> _classes;
    private readonly Indexer<V1CSINode> _csiNodes;
    private readonly Indexer<V1CSIDriver> _csiDrivers;
    private readonly Indexer<V1CSIStorageCapacity> _capacities;

    public VolumeObjects(
        Indexer<V1PersistentVolumeClaim> claims,
        Indexer<V1PersistentVolume> volumes,
        Indexer<V1StorageClass> classes,
        Indexer<V1CSINode>? csiNodes = null,
        Indexer<V1CSIDriver>? csiDrivers = null,
        Indexer<V1CSIStorageCapacity>? capacities = null)
    {
        _claims = new AssumeCache<V1PersistentVolumeClaim>(claims, ClaimKey);
        _volumes = new AssumeCache<V1PersistentVolume>(volumes, v => v.Metadata.Name);
        _classes = classes;
        _csiNodes = csiNodes ?? new();
        _csiDrivers = csiDrivers ?? new();
        _capacities = capacities ?? new();
    }

    /// <summary>No objects: a handle built without informers (unit tests).</summary>
    public static VolumeObjects Empty { get; } = new(new(), new(), new());

    public V1PersistentVolumeClaim? Claim(string @namespace, string name) => _claims.Get(@namespace + "/" + name);

    public V1PersistentVolume? Volume(string name) => _volumes.Get(name);

    public IReadOnlyList<V1PersistentVolume> Volumes() => _volumes.List();

    public V1StorageClass? StorageClass(string? name) => string.IsNullOrEmpty(name) ? null : _classes.Get(name);

    public V1CSINode? CsiNode(string name) => _csiNodes.Get(name);

    public V1CSIDriver? CsiDriver(string name) => _csiDrivers.Get(name);

    public IReadOnlyList<V1CSIStorageCapacity> StorageCapacities() => _capacities.List();

    /// <summary>Sees <paramref name="claim"/> (a changed copy) as written until the informer has a newer version.</summary>
    public bool AssumeClaim(V1PersistentVolumeClaim claim) => _claims.Assume(claim);

    /// <summary>Sees <paramref name="volume"/> (a changed copy) as written until the informer has a newer version.</summary>
    public bool AssumeVolume(V1PersistentVolume volume) => _volumes.Assume(volume);

    public void RestoreClaim(V1PersistentVolumeClaim claim) => _claims.Restore(ClaimKey(claim));

    public void RestoreVolume(string name) => _volumes.Restore(name);

    /// <summary>A deep copy to change and assume (cached objects are shared and never changed in place).</summary>
    public static T Copy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));

    private static string ClaimKey(V1PersistentVolumeClaim claim) => claim.Metadata.NamespaceProperty + "/" + claim.Metadata.Name;
}
