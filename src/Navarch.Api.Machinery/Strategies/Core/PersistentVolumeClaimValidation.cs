using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Storage;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' ValidatePersistentVolumeClaim and ValidatePersistentVolumeClaimUpdate.</summary>
internal static class PersistentVolumeClaimValidation
{
    private static readonly SupportedValues AccessModes = new("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod");
    private static readonly SupportedValues VolumeModes = new("Block", "Filesystem");

    /// <summary>Access modes (at least one, known, ReadWriteOncePod alone), a positive storage request, a valid class name and volumeMode.</summary>
    public static IEnumerable<FieldError> Validate(V1PersistentVolumeClaim claim)
    {
        V1PersistentVolumeClaimSpec? spec = claim.Spec;
        if (spec?.AccessModes is not { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Required, "spec.accessModes", null, "at least 1 access mode is required");
        }
        else
        {
            foreach (string mode in spec.AccessModes)
            {
                if (AccessModes.Check("spec.accessModes", mode) is { } bad)
                {
                    yield return bad;
                }
            }

            if (spec.AccessModes.Contains("ReadWriteOncePod") && spec.AccessModes.Count > 1)
            {
                yield return new FieldError(FieldErrorType.Forbidden, "spec.accessModes", null, "may not use ReadWriteOncePod with other access modes");
            }
        }

        if (spec?.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? storage) != true)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.resources[storage]", null, "");
        }
        else if (storage!.ToQuantity() is { Sign: <= 0 } size)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.resources[storage]", size.ToString(), "must be greater than zero");
        }

        if (!string.IsNullOrEmpty(spec?.StorageClassName))
        {
            foreach (string problem in MetadataValidation.NameProblems(spec.StorageClassName, NameRule.Subdomain))
            {
                yield return new FieldError(FieldErrorType.Invalid, "spec.storageClassName", spec.StorageClassName, problem);
            }
        }

        if (spec?.VolumeMode is { } volumeMode && VolumeModes.Check("spec.volumeMode", volumeMode) is { } badMode)
        {
            yield return badMode;
        }
    }

    /// <summary>
    /// The spec is fixed once created, except: volumeName may be set once (the binder does), a storage class may be
    /// set on a claim that had none (retroactive default class), and a bound claim's storage request may change —
    /// growing it (allowed or not by the PersistentVolumeClaimResize admission), or lowering it back towards
    /// status.capacity to recover from a failed expansion, never to or below it.
    /// </summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1PersistentVolumeClaim claim, V1PersistentVolumeClaim old)
    {
        V1PersistentVolumeClaimSpec now = Navarch.Api.KubernetesSerialization.DeepCopy(claim.Spec ?? new V1PersistentVolumeClaimSpec());
        V1PersistentVolumeClaimSpec before = Navarch.Api.KubernetesSerialization.DeepCopy(old.Spec ?? new V1PersistentVolumeClaimSpec());
        if (string.IsNullOrEmpty(before.VolumeName))
        {
            before.VolumeName = now.VolumeName;
        }

        if (before.StorageClassName is null && !(old.Metadata.Annotations?.ContainsKey(StorageAnnotations.BetaStorageClass) ?? false))
        {
            before.StorageClassName = now.StorageClassName;
        }

        string? oldAnnotation = Annotation(old);
        string? newAnnotation = Annotation(claim);
        if (oldAnnotation != newAnnotation)
        {
            yield return FieldValidation.Immutable($"metadata.annotations[{StorageAnnotations.BetaStorageClass}]", newAnnotation);
        }

        // A bound claim's requests are checked below, not as part of the immutable spec.
        if (claim.Status?.Phase == "Bound" || old.Status?.Phase == "Bound")
        {
            before.Resources ??= new V1VolumeResourceRequirements();
            before.Resources.Requests = now.Resources?.Requests;
            before.VolumeAttributesClassName = now.VolumeAttributesClassName;
        }

        if (!Navarch.Api.KubernetesSerialization.JsonEquals(now, before))
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec", null, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");
        }

        Quantity newSize = Storage(claim.Spec?.Resources?.Requests);
        Quantity oldSize = Storage(old.Spec?.Resources?.Requests);
        if (newSize < oldSize && newSize <= Storage(old.Status?.Capacity))
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec.resources.requests.storage", null, "field can not be less than status.capacity");
        }
    }

    private static string? Annotation(V1PersistentVolumeClaim claim) =>
        claim.Metadata.Annotations is { } annotations && annotations.TryGetValue(StorageAnnotations.BetaStorageClass, out string? value) ? value : null;

    private static Quantity Storage(IDictionary<string, ResourceQuantity>? resources) =>
        resources?.TryGetValue("storage", out ResourceQuantity? q) == true ? q.ToQuantity() : Quantity.Zero;
}
