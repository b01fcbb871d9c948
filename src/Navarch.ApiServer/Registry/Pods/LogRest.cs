using Microsoft.AspNetCore.Http;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// <c>pods/{name}/log</c> (LogREST): the container's log from its kubelet's <c>/containerLogs</c>, followed or not. Where
/// Kubernetes answers 404 for a pod that no longer exists, Navarch answers from the central log store when it holds the
/// pod's lines (<see cref="StoredPodLogs"/>).
/// </summary>
internal sealed class LogRest(KubeletLocations locations, StoredPodLogs? stored) : IRestConnecter
{
    public async Task ConnectAsync(HttpContext context, RestRequest request)
    {
        V1Pod pod;
        try
        {
            pod = await KubeletLocations.ScheduledPodAsync(request, context.RequestAborted);
        }
        catch (StatusException e) when (e.Status.Code == StatusCodes.Status404NotFound && stored is not null)
        {
            if (await stored.TryWriteAsync(context, request.Info.Namespace!, request.Name, context.RequestAborted))
            {
                return;
            }

            throw;
        }

        string container = KubeletLocations.Container(pod, context.Request);
        await locations.ForwardAsync(context, pod, $"/containerLogs/{request.Info.Namespace}/{request.Name}/{container}");
    }
}
