using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>ValidatePersistentVolume</c>.</summary>
internal static class PersistentVolumeValidation
{
    private static readonly SupportedValues AccessModes = new("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod");
    private static readonly SupportedValues ReclaimPolicies = new("Delete", "Recycle", "Retain");
    private static readonly SupportedValues VolumeModes = new("Block", "Filesystem");

    /// <summary>Capacity, access modes, reclaim policy, exactly one volume source.</summary>
    public static IEnumerable<FieldError> Validate(V1PersistentVolume pv)
    {
        V1PersistentVolumeSpec? spec = pv.Spec;
        if (spec?.Capacity is not { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Required, "spec.capacity", null, "");
        }
        else if (!spec.Capacity.ContainsKey("storage") || spec.Capacity.Count > 1)
        {
            yield return new FieldError(FieldErrorType.NotSupported, "spec.capacity", string.Join(", ", spec.Capacity.Keys), "supported values: \"storage\"");
        }
        else if (spec.Capacity["storage"].ToQuantity() is { Sign: <= 0 } size)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.capacity[storage]", size.ToString(), "must be greater than zero");
        }

        if (spec?.VolumeMode is { } volumeMode && VolumeModes.Check("spec.volumeMode", volumeMode) is { } badVolumeMode)
        {
            yield return badVolumeMode;
        }

        if (!string.IsNullOrEmpty(spec?.StorageClassName))
        {
            foreach (string problem in MetadataValidation.NameProblems(spec.StorageClassName, NameRule.Subdomain))
            {
                yield return new FieldError(FieldErrorType.Invalid, "spec.storageClassName", spec.StorageClassName, problem);
            }
        }

        if (spec?.HostPath is { } hostPath && string.IsNullOrEmpty(hostPath.Path))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.hostPath.path", null, "");
        }

        // A recycler empties the whole path: never the host's root.
        if (spec?.HostPath?.Path is { Length: > 0 } recycled && recycled.StartsWith('/') && spec.PersistentVolumeReclaimPolicy == "Recycle" && Path.GetFullPath(recycled, "/") == "/")
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec.persistentVolumeReclaimPolicy", null, "may not be 'recycle' for a hostPath mount of '/'");
        }

        if (spec?.Local is { } local)
        {
            if (string.IsNullOrEmpty(local.Path))
            {
                yield return new FieldError(FieldErrorType.Required, "spec.local.path", null, "");
            }

            if (spec.NodeAffinity?.Required is null)
            {
                yield return new FieldError(FieldErrorType.Required, "spec.nodeAffinity", null, "Local volume requires node affinity");
            }
        }

        if (spec?.Csi is { } csi)
        {
            if (string.IsNullOrEmpty(csi.Driver))
            {
                yield return new FieldError(FieldErrorType.Required, "spec.csi.driver", null, "");
            }

            if (string.IsNullOrEmpty(csi.VolumeHandle))
            {
                yield return new FieldError(FieldErrorType.Required, "spec.csi.volumeHandle", null, "");
            }
        }

        if (spec?.AccessModes is not { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Required, "spec.accessModes", null, "");
        }
        else
        {
            foreach (string mode in spec.AccessModes)
            {
                if (AccessModes.Check("spec.accessModes", mode) is { } badMode)
                {
                    yield return badMode;
                }
            }
        }

        if (spec?.PersistentVolumeReclaimPolicy is { } policy && ReclaimPolicies.Check("spec.persistentVolumeReclaimPolicy", policy) is { } badPolicy)
        {
            yield return badPolicy;
        }

        int sources = spec is null ? 0 : new object?[] { spec.HostPath, spec.Local, spec.Nfs, spec.Csi, spec.Iscsi, spec.Fc, spec.Rbd, spec.Cephfs, spec.Glusterfs, spec.AzureDisk, spec.AzureFile, spec.GcePersistentDisk, spec.AwsElasticBlockStore, spec.Cinder, spec.FlexVolume, spec.Flocker, spec.Quobyte, spec.VsphereVolume, spec.PhotonPersistentDisk, spec.PortworxVolume, spec.ScaleIO, spec.Storageos }.Count(s => s is not null);
        if (sources == 0)
        {
            yield return new FieldError(FieldErrorType.Required, "spec", null, "must specify a volume type");
        }
        else if (sources > 1)
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec", null, "may not specify more than 1 volume type");
        }
    }

    /// <summary>ValidatePersistentVolumeUpdate: the volume source, volumeMode and a set nodeAffinity are fixed once created.</summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1PersistentVolume pv, V1PersistentVolume old)
    {
        if (!KubernetesSerialization.JsonEquals(Source(pv), Source(old)))
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec.persistentvolumesource", null, "spec.persistentvolumesource is immutable after creation");
        }

        if ((pv.Spec?.VolumeMode ?? "Filesystem") != (old.Spec?.VolumeMode ?? "Filesystem"))
        {
            yield return FieldValidation.Immutable("spec.volumeMode", pv.Spec?.VolumeMode);
        }

        if (old.Spec?.NodeAffinity is not null && !KubernetesSerialization.JsonEquals(pv.Spec?.NodeAffinity, old.Spec.NodeAffinity))
        {
            yield return FieldValidation.Immutable("spec.nodeAffinity", null);
        }
    }

    /// <summary>The volume source alone: the spec without the fields a PersistentVolume may change.</summary>
    private static V1PersistentVolume Source(V1PersistentVolume pv) => new()
    {
        Spec = pv.Spec is null ? null : new V1PersistentVolumeSpec
        {
            HostPath = pv.Spec.HostPath, Local = pv.Spec.Local, Nfs = pv.Spec.Nfs, Csi = pv.Spec.Csi, Iscsi = pv.Spec.Iscsi, Fc = pv.Spec.Fc, Rbd = pv.Spec.Rbd,
            Cephfs = pv.Spec.Cephfs, Glusterfs = pv.Spec.Glusterfs, AzureDisk = pv.Spec.AzureDisk, AzureFile = pv.Spec.AzureFile,
            GcePersistentDisk = pv.Spec.GcePersistentDisk, AwsElasticBlockStore = pv.Spec.AwsElasticBlockStore, Cinder = pv.Spec.Cinder,
            FlexVolume = pv.Spec.FlexVolume, Flocker = pv.Spec.Flocker, Quobyte = pv.Spec.Quobyte, VsphereVolume = pv.Spec.VsphereVolume,
            PhotonPersistentDisk = pv.Spec.PhotonPersistentDisk, PortworxVolume = pv.Spec.PortworxVolume, ScaleIO = pv.Spec.ScaleIO, Storageos = pv.Spec.Storageos,
        },
    };
}
