using k8s.Models;

namespace Navarch.Controllers.StatefulSet;

/// <summary>
/// persistentVolumeClaimRetentionPolicy as kube-controller-manager applies it (stateful_set_utils.go): the ownerReferences
/// a replica's claim must carry so that the garbage collector deletes it when the policy says so —
/// Retain/Retain: none of the set's or the pod's; whenDeleted Delete: the set as controller; whenScaled Delete: the pod as
/// controller once its ordinal is out of range (and then not the set). References to an earlier set or pod of the same
/// name (another uid) are stale: such a claim is left alone, and (whenScaled Delete) blocks its pod's re-creation until
/// the collector has deleted it. A claim controlled by anyone else keeps that controller; the set's and pod's refs go.
/// </summary>
internal static class ClaimRetention
{
    public const string SetApiVersion = "apps/v1";
    public const string SetKind = "StatefulSet";
    private const string Retain = "Retain";
    private const string Delete = "Delete";

    /// <summary>The set's policy, Retain for anything unset (or unknown, as Kubernetes logs and treats it).</summary>
    public static (bool DeleteWhenDeleted, bool DeleteWhenScaled) PolicyOf(V1StatefulSet set) =>
        (set.Spec.PersistentVolumeClaimRetentionPolicy?.WhenDeleted == Delete, set.Spec.PersistentVolumeClaimRetentionPolicy?.WhenScaled == Delete);

    /// <summary>Whether the policy asks for no ownerReferences at all (nothing to check or write).</summary>
    public static bool RetainsAll(V1StatefulSet set) => PolicyOf(set) == (false, false);

    /// <summary>podInOrdinalRange.</summary>
    public static bool InRange(V1StatefulSet set, int ordinal)
    {
        int start = set.Spec.Ordinals?.Start ?? 0;
        return ordinal >= start && ordinal < start + (set.Spec.Replicas ?? 1);
    }

    /// <summary>isClaimOwnerUpToDate: whether the claim's references already say what the policy asks (or must not be touched).</summary>
    public static bool IsUpToDate(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod pod, int ordinal)
    {
        if (HasStaleRef(claim, SetApiVersion, SetKind, set.Metadata.Name, set.Metadata.Uid) || HasStaleRef(claim, "v1", "Pod", pod.Metadata.Name, pod.Metadata.Uid))
        {
            // Managed by an earlier (presumably deleted) set or pod: not ours to change.
            return true;
        }

        if (HasUnexpectedController(claim, set, pod))
        {
            // Our refs must go from under the other controller; without them there is nothing to do.
            return !HasRef(claim, set.Metadata.Uid) && !HasRef(claim, pod.Metadata.Uid);
        }

        if (claim.Metadata.OwnerReferences?.Any(r => (r.Uid == set.Metadata.Uid || r.Uid == pod.Metadata.Uid) && r.Controller != true) == true)
        {
            return false;
        }

        (bool wantSet, bool wantPod) = Wanted(set, ordinal);
        return HasRef(claim, set.Metadata.Uid) == wantSet && HasRef(claim, pod.Metadata.Uid) == wantPod;
    }

    /// <summary>updateClaimOwnerRefForSetAndPod: the claim's ownerReferences rewritten for the policy.</summary>
    public static List<V1OwnerReference> OwnerReferencesFor(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod pod, int ordinal)
    {
        bool unexpected = HasUnexpectedController(claim, set, pod);
        List<V1OwnerReference> refs = (claim.Metadata.OwnerReferences ?? [])
            .Where(r => !Matches(r, SetApiVersion, SetKind, set.Metadata.Name) && !Matches(r, "v1", "Pod", pod.Metadata.Name))
            .ToList();
        if (unexpected)
        {
            return refs;
        }

        (bool wantSet, bool wantPod) = Wanted(set, ordinal);
        if (wantSet)
        {
            refs.Add(ControllerRefs.To(set, SetApiVersion, SetKind));
        }

        if (wantPod)
        {
            refs.Add(ControllerRefs.To(pod, "v1", "Pod"));
        }

        return refs;
    }

    /// <summary>
    /// hasUnexpectedController: under a deleting policy, a controller other than this set and pod (or a ref to a set or
    /// pod of their name with another uid).
    /// </summary>
    public static bool HasUnexpectedController(V1PersistentVolumeClaim claim, V1StatefulSet set, V1Pod pod)
    {
        if (RetainsAll(set))
        {
            return false;
        }

        foreach (V1OwnerReference r in claim.Metadata.OwnerReferences ?? [])
        {
            if (Matches(r, SetApiVersion, SetKind, set.Metadata.Name))
            {
                if (r.Uid != set.Metadata.Uid)
                {
                    return true;
                }
            }
            else if (Matches(r, "v1", "Pod", pod.Metadata.Name))
            {
                if (r.Uid != pod.Metadata.Uid)
                {
                    return true;
                }
            }
            else if (r.Controller == true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// PodClaimIsStale for one claim: under whenScaled Delete, a claim still owned by an earlier pod of this name (being
    /// collected) must not be reused by the pod about to be created (<paramref name="podUid"/> null).
    /// </summary>
    public static bool IsStale(V1PersistentVolumeClaim claim, V1StatefulSet set, string podName, string? podUid) =>
        PolicyOf(set).DeleteWhenScaled && HasStaleRef(claim, "v1", "Pod", podName, podUid);

    private static (bool Set, bool Pod) Wanted(V1StatefulSet set, int ordinal)
    {
        (bool whenDeleted, bool whenScaled) = PolicyOf(set);
        bool scaledDown = !InRange(set, ordinal);
        return (whenDeleted && !(whenScaled && scaledDown), whenScaled && scaledDown);
    }

    private static bool Matches(V1OwnerReference r, string apiVersion, string kind, string name) => r.ApiVersion == apiVersion && r.Kind == kind && r.Name == name;

    private static bool HasRef(V1PersistentVolumeClaim claim, string? uid) => uid is not null && claim.Metadata.OwnerReferences?.Any(r => r.Uid == uid) == true;

    /// <summary>hasStaleOwnerRef: the first ref of that kind and name has another uid.</summary>
    private static bool HasStaleRef(V1PersistentVolumeClaim claim, string apiVersion, string kind, string name, string? uid) =>
        claim.Metadata.OwnerReferences?.FirstOrDefault(r => Matches(r, apiVersion, kind, name)) is { } r && r.Uid != uid;
}
