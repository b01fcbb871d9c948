using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Selectors;
using Navarch.Api.Storage;

namespace Navarch.Controllers.PersistentVolume;

/// <summary>
/// Which volume a claim gets (Kubernetes' persistentVolumeOrderedIndex.findByClaim and FindMatchingVolume): volumes are
/// grouped by their set of access modes; the sets holding every mode the claim asks for are tried fewest modes first,
/// and within the first set that has a match, the smallest volume that fits wins. A volume pre-bound to this claim
/// (claimRef naming it) wins outright.
/// </summary>
internal static class VolumeMatcher
{
    /// <summary>The volume for <paramref name="claim"/>, or null. With <paramref name="delayBinding"/> only a volume pre-bound to the claim is returned: the scheduler binds the rest.</summary>
    public static V1PersistentVolume? FindBestMatch(V1PersistentVolumeClaim claim, IEnumerable<V1PersistentVolume> volumes, bool delayBinding)
    {
        IList<string> requested = claim.Spec?.AccessModes ?? [];
        IEnumerable<IGrouping<string, V1PersistentVolume>> sets = volumes
            .GroupBy(v => ModesKey(v.Spec?.AccessModes))
            .Where(g => requested.All(m => g.First().Spec?.AccessModes?.Contains(m) == true))
            .OrderBy(g => g.First().Spec?.AccessModes?.Distinct().Count() ?? 0)
            .ThenBy(g => g.Key, StringComparer.Ordinal);
        foreach (IGrouping<string, V1PersistentVolume> set in sets)
        {
            if (FindMatchingVolume(claim, set, delayBinding) is { } best)
            {
                return best;
            }
        }

        return null;
    }

    /// <summary>FindMatchingVolume on the controller's path (no node): the pre-bound volume, else the smallest fitting Available one.</summary>
    private static V1PersistentVolume? FindMatchingVolume(V1PersistentVolumeClaim claim, IEnumerable<V1PersistentVolume> volumes, bool delayBinding)
    {
        Quantity requested = Requested(claim);
        string requestedClass = StorageAnnotations.ClaimClass(claim);
        V1PersistentVolume? smallest = null;
        Quantity smallestSize = default;
        foreach (V1PersistentVolume volume in volumes.OrderBy(v => v.Metadata.Name, StringComparer.Ordinal))
        {
            if (volume.Spec?.ClaimRef is not null && !IsBoundToClaim(volume, claim))
            {
                continue;
            }

            Quantity size = Capacity(volume);
            if (size < requested || VolumeModeMismatch(claim, volume) || volume.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            if (IsBoundToClaim(volume, claim))
            {
                return volume;
            }

            if (delayBinding)
            {
                continue;
            }

            if (volume.Status?.Phase != "Available"
                || (claim.Spec?.Selector is { } selector && !selector.Matches(volume.Metadata.Labels))
                || StorageAnnotations.VolumeClass(volume) != requestedClass)
            {
                continue;
            }

            if (smallest is null || size < smallestSize)
            {
                smallest = volume;
                smallestSize = size;
            }
        }

        return smallest;
    }

    /// <summary>checkVolumeSatisfyClaim, for a claim that names its volume: null when it fits, else why not.</summary>
    public static string? Unsatisfied(V1PersistentVolume volume, V1PersistentVolumeClaim claim)
    {
        if (volume.Metadata.DeletionTimestamp is not null)
        {
            return $"the volume is marked for deletion \"{volume.Metadata.Name}\"";
        }

        if (Capacity(volume).Value < Requested(claim).Value)
        {
            return "requested PV is too small";
        }

        if (StorageAnnotations.VolumeClass(volume) != StorageAnnotations.ClaimClass(claim))
        {
            return "storageClassName does not match";
        }

        if (VolumeModeMismatch(claim, volume))
        {
            return "incompatible volumeMode";
        }

        return (claim.Spec?.AccessModes ?? []).All(m => volume.Spec?.AccessModes?.Contains(m) == true) ? null : "incompatible accessMode";
    }

    /// <summary>IsVolumeBoundToClaim: the volume's claimRef names the claim (and its uid, when the ref has one).</summary>
    public static bool IsBoundToClaim(V1PersistentVolume volume, V1PersistentVolumeClaim claim) =>
        volume.Spec?.ClaimRef is { } claimRef
        && claimRef.Name == claim.Metadata.Name
        && claimRef.NamespaceProperty == claim.Metadata.NamespaceProperty
        && (string.IsNullOrEmpty(claimRef.Uid) || claimRef.Uid == claim.Metadata.Uid);

    /// <summary>CheckVolumeModeMismatches: both default to Filesystem.</summary>
    public static bool VolumeModeMismatch(V1PersistentVolumeClaim claim, V1PersistentVolume volume) =>
        (claim.Spec?.VolumeMode ?? "Filesystem") != (volume.Spec?.VolumeMode ?? "Filesystem");

    /// <summary>The claim's storage request (zero when none).</summary>
    public static Quantity Requested(V1PersistentVolumeClaim claim) =>
        claim.Spec?.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? q) == true ? q.ToQuantity() : Quantity.Zero;

    /// <summary>The volume's storage capacity (zero when none).</summary>
    public static Quantity Capacity(V1PersistentVolume volume) =>
        volume.Spec?.Capacity?.TryGetValue("storage", out ResourceQuantity? q) == true ? q.ToQuantity() : Quantity.Zero;

    private static string ModesKey(IList<string>? modes) => string.Join(",", (modes ?? []).Distinct().Order(StringComparer.Ordinal));
}
