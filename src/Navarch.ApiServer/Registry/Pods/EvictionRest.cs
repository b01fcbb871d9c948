using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// <c>pods/{name}/eviction</c> (pkg/registry/core/pod/storage EvictionREST): the Eviction's deleteOptions delete the
/// pod through the pods' own delete (graceful, with its preconditions).
/// </summary>
internal sealed class EvictionRest : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1DeleteOptions options = body["deleteOptions"]?.Deserialize<V1DeleteOptions>(KubernetesSerialization.Options) ?? new V1DeleteOptions();
        await request.Store.DeleteAsync(request.Info.Namespace, request.Name, options, request.Info.Options.DryRun, cancellationToken);
        return Http.Responder.Created();
    }
}
