using k8s;
using k8s.Models;

namespace Navarch.Controllers.VolumeProtection;

/// <summary>The protection finalizers and the two questions both protection controllers ask of an object.</summary>
internal static class Finalizers
{
    /// <summary>The PersistentVolume finalizer (the StorageObjectInUseProtection admission adds it).</summary>
    public const string PvProtection = "kubernetes.io/pv-protection";

    /// <summary>The PersistentVolumeClaim finalizer.</summary>
    public const string PvcProtection = "kubernetes.io/pvc-protection";

    /// <summary>isDeletionCandidate: being deleted and still held by <paramref name="finalizer"/>.</summary>
    public static bool IsDeletionCandidate(IKubernetesObject<V1ObjectMeta> obj, string finalizer) =>
        obj.Metadata.DeletionTimestamp is not null && obj.Metadata.Finalizers?.Contains(finalizer) == true;

    /// <summary>needToAddFinalizer: alive and without <paramref name="finalizer"/> (made before the admission plugin ran).</summary>
    public static bool NeedToAdd(IKubernetesObject<V1ObjectMeta> obj, string finalizer) =>
        obj.Metadata.DeletionTimestamp is null && obj.Metadata.Finalizers?.Contains(finalizer) != true;

    /// <summary>A copy of <paramref name="obj"/> with <paramref name="finalizer"/> added or removed.</summary>
    public static T With<T>(T obj, string finalizer, bool present)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        T copy = ModelCopies.Copy(obj);
        copy.Metadata.Finalizers ??= [];
        copy.Metadata.Finalizers.Remove(finalizer);
        if (present)
        {
            copy.Metadata.Finalizers.Add(finalizer);
        }

        return copy;
    }
}
