using Microsoft.AspNetCore.Http;
using Navarch.Api;

namespace Navarch.ApiServer.Registry;

/// <summary>The proxy subresource of pods, services and nodes: the object must exist, but proxying is not served yet (503).</summary>
internal sealed class ProxyRest : IRestConnecter
{
    public async Task ConnectAsync(HttpContext context, RestRequest request)
    {
        await request.Store.GetAsync(request.Info.Namespace, request.Name, context.RequestAborted);
        throw ApiErrors.Unavailable($"{request.Store.Definition.Plural}/{request.Info.Subresource} is not served yet");
    }
}
