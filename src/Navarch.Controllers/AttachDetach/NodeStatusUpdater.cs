using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.AttachDetach;

/// <summary>
/// The attach-detach controller's node status updater (statusupdater in kube-controller-manager): it owns a node's
/// <c>status.volumesAttached</c> and writes it only when it differs from what the node shows. The field carries no
/// patch strategy, so the whole list is replaced (a JSON merge patch; null drops it when nothing is attached); the
/// kubelet's own status patches leave it alone.
/// </summary>
internal static class NodeStatusUpdater
{
    /// <summary>Sets <paramref name="node"/>'s volumesAttached to <paramref name="attached"/> (sorted by name) unless it is so already.</summary>
    public static async Task UpdateAsync(IKubernetes client, V1Node node, IReadOnlyList<V1AttachedVolume> attached, CancellationToken cancellationToken)
    {
        List<V1AttachedVolume> wanted = [.. attached.OrderBy(v => v.Name, StringComparer.Ordinal)];
        IList<V1AttachedVolume> current = node.Status?.VolumesAttached ?? [];
        if (current.Count == wanted.Count && current.Zip(wanted).All(p => p.First.Name == p.Second.Name && (p.First.DevicePath ?? "") == p.Second.DevicePath))
        {
            return;
        }

        JsonNode? list = wanted.Count == 0 ? null : new JsonArray([.. wanted.Select(v => (JsonNode)new JsonObject { ["name"] = v.Name, ["devicePath"] = v.DevicePath })]);
        var patch = new JsonObject { ["status"] = new JsonObject { ["volumesAttached"] = list } };
        try
        {
            await client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), node.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // The node is gone; nothing to report on.
        }
    }
}
