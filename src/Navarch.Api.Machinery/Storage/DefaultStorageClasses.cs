using k8s.Models;

namespace Navarch.Api.Storage;

/// <summary>
/// Which StorageClass is the default (Kubernetes' storage util GetDefaultClass), shared by the DefaultStorageClass
/// admission and the PersistentVolume controller's retroactive default: a class annotated
/// storageclass.kubernetes.io/is-default-class=true (or the beta key); with several, the newest, then the first by name.
/// </summary>
public static class DefaultStorageClasses
{
    /// <summary>The annotation that makes a StorageClass the default.</summary>
    public const string IsDefaultClass = "storageclass.kubernetes.io/is-default-class";

    /// <summary>The beta spelling of <see cref="IsDefaultClass"/>.</summary>
    public const string BetaIsDefaultClass = "storageclass.beta.kubernetes.io/is-default-class";

    /// <summary>The default class among <paramref name="classes"/>, or null.</summary>
    public static V1StorageClass? Default(IEnumerable<V1StorageClass> classes) =>
        classes.Where(IsDefault)
            .OrderByDescending(c => c.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(c => c.Metadata.Name, StringComparer.Ordinal)
            .FirstOrDefault();

    /// <summary>True when <paramref name="storageClass"/> carries either default annotation set to "true".</summary>
    public static bool IsDefault(V1StorageClass storageClass) =>
        storageClass?.Metadata.Annotations is { } annotations
        && ((annotations.TryGetValue(IsDefaultClass, out string? v) && v == "true") || (annotations.TryGetValue(BetaIsDefaultClass, out string? beta) && beta == "true"));

    /// <summary>PersistentVolumeClaimHasClass: the claim names a class (spec.storageClassName set, even to "", or the beta annotation).</summary>
    public static bool HasClass(V1PersistentVolumeClaim claim) =>
        claim?.Spec?.StorageClassName is not null || claim?.Metadata.Annotations?.ContainsKey(StorageAnnotations.BetaStorageClass) == true;
}
