using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Controllers.History;

/// <summary>
/// Kubernetes' ControllerRefManager for pods: an owner keeps the pods it controls that its selector still matches,
/// releases those it no longer matches, and adopts matching orphans (a merge patch guarded by the pod's uid).
/// </summary>
internal static class PodClaims
{
    /// <summary>The pods <paramref name="owner"/> controls after adopting and releasing among <paramref name="pods"/>.</summary>
    public static async Task<List<V1Pod>> ClaimAsync(
        IKubernetes client, IKubernetesObject<V1ObjectMeta> owner, string kind, V1LabelSelector selector, IEnumerable<V1Pod> pods, CancellationToken cancellationToken)
    {
        var claimed = new List<V1Pod>();
        foreach (V1Pod pod in pods)
        {
            V1OwnerReference? controller = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
            bool matches = selector.Matches(pod.Metadata.Labels);
            if (controller?.Uid == owner.Metadata.Uid)
            {
                if (matches)
                {
                    claimed.Add(pod);
                }
                else
                {
                    await SetControllerAsync(client, pod, null, cancellationToken);
                }
            }
            else if (controller is null && matches && owner.Metadata.DeletionTimestamp is null && pod.Metadata.DeletionTimestamp is null
                     && await SetControllerAsync(client, pod, ControllerRevisions.ControllerReference(owner, kind), cancellationToken) is { } adopted)
            {
                claimed.Add(adopted);
            }
        }

        return claimed;
    }

    /// <summary>Sets (or, with null, removes) the controller reference; null when the pod changed or went away.</summary>
    private static async Task<V1Pod?> SetControllerAsync(IKubernetes client, V1Pod pod, V1OwnerReference? reference, CancellationToken cancellationToken)
    {
        string patch = ControllerRefs.AdoptionPatch(pod.Metadata, reference);
        try
        {
            return await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or (HttpStatusCode)422)
        {
            return null;
        }
    }
}
