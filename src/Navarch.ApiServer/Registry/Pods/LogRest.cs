using Microsoft.AspNetCore.Http;
using k8s.Models;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary><c>pods/{name}/log</c> (LogREST): the container's log from its kubelet's <c>/containerLogs</c>, followed or not.</summary>
internal sealed class LogRest(KubeletLocations locations) : IRestConnecter
{
    public async Task ConnectAsync(HttpContext context, RestRequest request)
    {
        V1Pod pod = await KubeletLocations.ScheduledPodAsync(request, context.RequestAborted);
        string container = KubeletLocations.Container(pod, context.Request);
        await locations.ForwardAsync(context, pod, $"/containerLogs/{request.Info.Namespace}/{request.Name}/{container}");
    }
}
