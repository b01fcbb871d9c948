using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;

namespace Navarch.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// pods/log, exec, attach, portforward and proxy go to the pod's node. No kubelet serves them yet, so the answer
    /// says where the request would go and why it cannot be served.
    /// </summary>
    private async Task ConnectAsync(HttpContext context, ResourceDefinition definition, string? ns, string name, string? sub)
    {
        IKubernetesObject<V1ObjectMeta> obj = await GetAsync(definition, ns, name, context.RequestAborted);
        if (obj is V1Pod pod && string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            throw ApiErrors.BadRequest($"pod {name} does not have a host assigned");
        }

        string node = obj is V1Pod p ? p.Spec.NodeName : name;
        throw ApiErrors.Unavailable($"no kubelet is reachable for node \"{node}\" to serve {definition.Plural}/{sub}");
    }
}
