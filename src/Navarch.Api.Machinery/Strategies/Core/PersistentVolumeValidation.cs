using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>ValidatePersistentVolume</c>.</summary>
internal static class PersistentVolumeValidation
{
    private static readonly SupportedValues AccessModes = new("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod");
    private static readonly SupportedValues ReclaimPolicies = new("Delete", "Recycle", "Retain");

    /// <summary>Capacity, access modes, reclaim policy, exactly one volume source.</summary>
    public static IEnumerable<FieldError> Validate(V1PersistentVolume pv)
    {
        V1PersistentVolumeSpec? spec = pv.Spec;
        if (spec?.Capacity is null || !spec.Capacity.ContainsKey("storage"))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.capacity", null, "");
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
}
