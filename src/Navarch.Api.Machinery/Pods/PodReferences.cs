using k8s.Models;

namespace Navarch.Api.Pods;

/// <summary>
/// The API objects a pod refers to by name, as Kubernetes' <c>pkg/api/v1/pod</c> visitors find them
/// (VisitPodSecretNames, VisitPodConfigmapNames) over every container — init, app and ephemeral — and every volume.
/// The Node authorizer's graph and the kubelet's per-object watches both read a pod through these, so what a node may
/// read and what its kubelet asks for are the same set. Empty names are skipped.
/// </summary>
public static class PodReferences
{
    /// <summary>
    /// The Secrets: image pull secrets, envFrom and env secretKeyRef, and the secret volume sources (secret, projected,
    /// and the secretRef of the volume plugins that take one).
    /// </summary>
    public static IEnumerable<string> SecretNames(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        V1PodSpec? spec = pod.Spec;
        IEnumerable<string?> names = (spec?.ImagePullSecrets ?? []).Select(s => s.Name)
            .Concat(Environments(spec).SelectMany(e => e.From.Select(f => f.SecretRef?.Name).Concat(e.Vars.Select(v => v.ValueFrom?.SecretKeyRef?.Name))))
            .Concat((spec?.Volumes ?? []).SelectMany(VolumeSecretNames));
        return Distinct(names);
    }

    /// <summary>The ConfigMaps: envFrom and env configMapKeyRef, configMap volumes and projected configMap sources.</summary>
    public static IEnumerable<string> ConfigMapNames(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        V1PodSpec? spec = pod.Spec;
        IEnumerable<string?> names = Environments(spec).SelectMany(e => e.From.Select(f => f.ConfigMapRef?.Name).Concat(e.Vars.Select(v => v.ValueFrom?.ConfigMapKeyRef?.Name)))
            .Concat((spec?.Volumes ?? []).SelectMany(v => (v.Projected?.Sources ?? []).Select(s => s.ConfigMap?.Name).Append(v.ConfigMap?.Name)));
        return Distinct(names);
    }

    /// <summary>
    /// The PersistentVolumeClaims: persistentVolumeClaim volumes, and the claim of each generic ephemeral volume
    /// (named <c>&lt;pod&gt;-&lt;volume&gt;</c>, as the ephemeral volume controller makes it).
    /// </summary>
    public static IEnumerable<string> PersistentVolumeClaimNames(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        IEnumerable<string?> names = (pod.Spec?.Volumes ?? []).Select(v =>
            v.PersistentVolumeClaim?.ClaimName ?? (v.Ephemeral is not null ? $"{pod.Metadata?.Name}-{v.Name}" : null));
        return Distinct(names);
    }

    private static IEnumerable<(IList<V1EnvFromSource> From, IList<V1EnvVar> Vars)> Environments(V1PodSpec? spec) =>
        (spec?.InitContainers ?? []).Concat(spec?.Containers ?? []).Select(c => (c.EnvFrom ?? [], c.Env ?? []))
            .Concat((spec?.EphemeralContainers ?? []).Select(c => (c.EnvFrom ?? [], c.Env ?? [])));

    private static IEnumerable<string?> VolumeSecretNames(V1Volume v) =>
        (v.Projected?.Sources ?? []).Select(s => s.Secret?.Name).Concat(
        [
            v.Secret?.SecretName,
            v.AzureFile?.SecretName,
            v.Cephfs?.SecretRef?.Name,
            v.Cinder?.SecretRef?.Name,
            v.FlexVolume?.SecretRef?.Name,
            v.Rbd?.SecretRef?.Name,
            v.ScaleIO?.SecretRef?.Name,
            v.Iscsi?.SecretRef?.Name,
            v.Storageos?.SecretRef?.Name,
            v.Csi?.NodePublishSecretRef?.Name,
        ]);

    private static IEnumerable<string> Distinct(IEnumerable<string?> names) =>
        names.Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).Distinct(StringComparer.Ordinal);
}
