using k8s.Models;

namespace Navarch.ApiServer.Admission.PodSecurity.Checks;

/// <summary>
/// Restricted: volumes are limited to configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim,
/// projected and secret (covering the baseline hostPath check).
/// </summary>
internal static class RestrictedVolumesCheck
{
    public static Check Check { get; } = new("restrictedVolumes", Level.Restricted, [new VersionedCheck(PolicyVersion.V1(0), V1Dot0, [HostPathVolumesCheck.Id])]);

    internal static CheckResult V1Dot0(V1ObjectMeta metadata, V1PodSpec spec)
    {
        var bad = new List<string>();
        var types = new List<string>();
        foreach (V1Volume v in spec.Volumes ?? [])
        {
            if (v.ConfigMap is not null || v.Csi is not null || v.DownwardAPI is not null || v.EmptyDir is not null || v.Ephemeral is not null
                || v.Image is not null || v.PersistentVolumeClaim is not null || v.Projected is not null || v.Secret is not null)
            {
                continue;
            }

            bad.Add(v.Name);
            types.Add(TypeOf(v));
        }

        if (bad.Count == 0)
        {
            return CheckResult.Pass;
        }

        List<string> distinct = CheckHelpers.SortedSet(types);
        return CheckResult.Fail(
            "restricted volume types",
            $"{CheckHelpers.Pluralize("volume", "volumes", bad.Count)} {CheckHelpers.JoinQuote(bad)} {CheckHelpers.Pluralize("uses", "use", bad.Count)} "
            + $"{CheckHelpers.Pluralize("restricted volume type", "restricted volume types", distinct.Count)} {CheckHelpers.JoinQuote(distinct)}");
    }

    private static string TypeOf(V1Volume v) => v switch
    {
        { HostPath: not null } => "hostPath",
        { GcePersistentDisk: not null } => "gcePersistentDisk",
        { AwsElasticBlockStore: not null } => "awsElasticBlockStore",
        { GitRepo: not null } => "gitRepo",
        { Nfs: not null } => "nfs",
        { Iscsi: not null } => "iscsi",
        { Glusterfs: not null } => "glusterfs",
        { Rbd: not null } => "rbd",
        { FlexVolume: not null } => "flexVolume",
        { Cinder: not null } => "cinder",
        { Cephfs: not null } => "cephfs",
        { Flocker: not null } => "flocker",
        { Fc: not null } => "fc",
        { AzureFile: not null } => "azureFile",
        { VsphereVolume: not null } => "vsphereVolume",
        { Quobyte: not null } => "quobyte",
        { AzureDisk: not null } => "azureDisk",
        { PhotonPersistentDisk: not null } => "photonPersistentDisk",
        { PortworxVolume: not null } => "portworxVolume",
        { ScaleIO: not null } => "scaleIO",
        { Storageos: not null } => "storageos",
        _ => "unknown",
    };
}
