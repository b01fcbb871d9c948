using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Storage;

/// <summary>Kubernetes' ValidateStorageClass and ValidateStorageClassUpdate.</summary>
internal static class StorageClassValidation
{
    private static readonly SupportedValues ReclaimPolicies = new("Delete", "Retain");
    private static readonly SupportedValues BindingModes = new("Immediate", "WaitForFirstConsumer");

    /// <summary>A provisioner (a qualified name), a known reclaim policy and binding mode.</summary>
    public static IEnumerable<FieldError> Validate(V1StorageClass storageClass)
    {
        if (string.IsNullOrEmpty(storageClass.Provisioner))
        {
            yield return new FieldError(FieldErrorType.Required, "provisioner", null, "");
        }
        else
        {
            foreach (string problem in MetadataValidation.QualifiedNameProblems(storageClass.Provisioner))
            {
                yield return new FieldError(FieldErrorType.Invalid, "provisioner", storageClass.Provisioner, problem);
            }
        }

        if (storageClass.ReclaimPolicy is { } policy && ReclaimPolicies.Check("reclaimPolicy", policy) is { } badPolicy)
        {
            yield return badPolicy;
        }

        if (storageClass.VolumeBindingMode is { } mode && BindingModes.Check("volumeBindingMode", mode) is { } badMode)
        {
            yield return badMode;
        }

        if (storageClass.Parameters is { Count: > 512 })
        {
            yield return new FieldError(FieldErrorType.TooLong, "parameters", null, "Provisioner Parameters exceeded max allowed");
        }
    }

    /// <summary>Provisioner, parameters, reclaim policy and binding mode are fixed once created.</summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1StorageClass storageClass, V1StorageClass old)
    {
        if (storageClass.Provisioner != old.Provisioner)
        {
            yield return new FieldError(FieldErrorType.Forbidden, "provisioner", null, "updates to provisioner are forbidden.");
        }

        if (!KubernetesSerialization.JsonEquals(storageClass.Parameters ?? new Dictionary<string, string>(), old.Parameters ?? new Dictionary<string, string>()))
        {
            yield return new FieldError(FieldErrorType.Forbidden, "parameters", null, "updates to parameters are forbidden.");
        }

        if (storageClass.ReclaimPolicy != old.ReclaimPolicy)
        {
            yield return new FieldError(FieldErrorType.Forbidden, "reclaimPolicy", null, "updates to reclaimPolicy are forbidden.");
        }

        if (storageClass.VolumeBindingMode != old.VolumeBindingMode)
        {
            yield return FieldValidation.Immutable("volumeBindingMode", storageClass.VolumeBindingMode);
        }
    }
}
