using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Storage;

/// <summary>storage.k8s.io/v1 CSIDriver: how the kubelet and the control plane treat a CSI driver's volumes.</summary>
internal static class CsiDriverStrategy
{
    private static readonly SupportedValues FsGroupPolicies = new("ReadWriteOnceWithFSType", "File", "None");
    private static readonly SupportedValues LifecycleModes = new("Persistent", "Ephemeral");

    /// <summary>The strategy: Kubernetes' defaults (attach required, fsGroupPolicy ReadWriteOnceWithFSType, Persistent volumes), validation and columns.</summary>
    public static ResourceStrategy<V1CSIDriver> Create() => new()
    {
        Defaults = d =>
        {
            d.Spec ??= new V1CSIDriverSpec();
            d.Spec.AttachRequired ??= true;
            d.Spec.PodInfoOnMount ??= false;
            d.Spec.StorageCapacity ??= false;
            d.Spec.RequiresRepublish ??= false;
            d.Spec.SeLinuxMount ??= false;
            d.Spec.FsGroupPolicy ??= "ReadWriteOnceWithFSType";
            d.Spec.VolumeLifecycleModes ??= ["Persistent"];
        },
        Validation = Validate,
        UpdateValidation = (d, old) =>
        {
            var errors = new List<FieldError>();
            if (d.Spec?.AttachRequired != old.Spec?.AttachRequired)
            {
                errors.Add(FieldValidation.Immutable("spec.attachRequired", d.Spec?.AttachRequired));
            }

            if (d.Spec?.FsGroupPolicy != old.Spec?.FsGroupPolicy)
            {
                errors.Add(FieldValidation.Immutable("spec.fsGroupPolicy", d.Spec?.FsGroupPolicy));
            }

            if (!(d.Spec?.VolumeLifecycleModes ?? []).SequenceEqual(old.Spec?.VolumeLifecycleModes ?? []))
            {
                errors.Add(FieldValidation.Immutable("spec.volumeLifecycleModes", null));
            }

            return errors;
        },
        Columns =
        [
            new("AttachRequired", "boolean", "", "attachRequired indicates this CSI volume driver requires an attach operation."),
            new("PodInfoOnMount", "boolean", "", "podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations."),
            new("StorageCapacity", "boolean", "", "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity."),
            new("TokenRequests", "string", "", "tokenRequests indicates the CSI driver needs pods' service account tokens."),
            new("RequiresRepublish", "boolean", "", "requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called."),
            new("Modes", "string", "", "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports."),
            TableColumn.AgeColumn,
        ],
        Cells = (d, now) =>
        [
            d.Spec?.AttachRequired ?? true, d.Spec?.PodInfoOnMount ?? false, d.Spec?.StorageCapacity ?? false,
            d.Spec?.TokenRequests is { Count: > 0 } tokens ? string.Join(",", tokens.Select(t => t.Audience)) : "<unset>",
            d.Spec?.RequiresRepublish ?? false,
            d.Spec?.VolumeLifecycleModes is { Count: > 0 } modes ? string.Join(",", modes) : "<none>",
            Age.Of(d.Metadata.CreationTimestamp, now),
        ],
    };

    private static IEnumerable<FieldError> Validate(V1CSIDriver driver)
    {
        foreach (FieldError e in CsiDriverNames.Validate("metadata.name", driver.Metadata.Name))
        {
            yield return e;
        }

        if (driver.Spec?.FsGroupPolicy is { } policy && FsGroupPolicies.Check("spec.fsGroupPolicy", policy) is { } badPolicy)
        {
            yield return badPolicy;
        }

        foreach (string mode in driver.Spec?.VolumeLifecycleModes ?? [])
        {
            if (LifecycleModes.Check("spec.volumeLifecycleModes", mode) is { } badMode)
            {
                yield return badMode;
            }
        }
    }
}
