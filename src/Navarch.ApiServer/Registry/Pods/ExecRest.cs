using Microsoft.AspNetCore.Http;
using k8s.Models;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// <c>pods/{name}/exec</c>, <c>attach</c> and <c>portforward</c> (ExecREST, AttachREST, PortForwardREST): the stream
/// upgrade passed through to the kubelet's <c>/exec</c>, <c>/attach</c> (for a container) or <c>/portForward</c>.
/// </summary>
internal sealed class ExecRest(KubeletLocations locations) : IRestConnecter
{
    public async Task ConnectAsync(HttpContext context, RestRequest request)
    {
        V1Pod pod = await KubeletLocations.ScheduledPodAsync(request, context.RequestAborted);
        string path = request.Info.Subresource == "portforward"
            ? $"/portForward/{request.Info.Namespace}/{request.Name}"
            : $"/{request.Info.Subresource}/{request.Info.Namespace}/{request.Name}/{KubeletLocations.Container(pod, context.Request)}";
        await locations.ForwardAsync(context, pod, path);
    }
}
