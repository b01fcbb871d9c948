using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Navarch.Kubelet.Status;

/// <summary>
/// The kubelet's status manager (status_manager.go): writes pod status through the status subresource and keeps what
/// it last wrote for each pod, so an unchanged status is not written again; and, once a terminated pod's containers and
/// sandbox are gone, deletes it for good (grace 0 with a UID precondition), as the status manager does.
/// </summary>
internal sealed partial class StatusManager(IKubernetes client, ILogger logger)
{
    private readonly ConcurrentDictionary<string, string> _posted = new(StringComparer.Ordinal);

    /// <summary>Writes <paramref name="status"/> (a merge patch) unless it is what was last written for the pod.</summary>
    public async Task<PodStatusUpdate> SetPodStatusAsync(V1Pod pod, V1PodStatus status, CancellationToken cancellationToken)
    {
        // Transition times come from the previous status, so an unchanged pod serialises to the same text.
        string json = KubernetesJson.Serialize(new { status });
        if (_posted.TryGetValue(pod.Metadata.Uid, out string? last) && last == json)
        {
            return default;
        }

        try
        {
            V1Pod written = await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(json, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _posted[pod.Metadata.Uid] = json;
            return new PodStatusUpdate(written, PodGone: false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return new PodStatusUpdate(null, PodGone: true);
        }
    }

    /// <summary>Deletes a pod whose containers and sandbox are gone (a pod already gone or replaced is left alone).</summary>
    public async Task DeletePodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            var options = new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } };
            await client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogDeleted(logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }

    /// <summary>Forgets what was written for a pod whose worker has ended.</summary>
    public void RemovePod(string podUid) => _posted.TryRemove(podUid, out _);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: containers and sandbox removed; pod deleted")]
    private static partial void LogDeleted(ILogger logger, string @namespace, string pod);
}
