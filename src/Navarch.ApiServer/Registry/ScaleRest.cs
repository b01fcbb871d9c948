using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The scale subresource of workloads (apiserver's ScaleREST): an autoscaling/v1 Scale view of spec.replicas that
/// GET shows and PUT and PATCH change, written through the resource's own update.
/// </summary>
internal sealed class ScaleRest : IRestGetter, IRestUpdater, IRestPatcher
{
    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken) =>
        Scale.ToScale(request.Store.Definition, await request.Store.GetAsync(request.Info.Namespace, request.Name, cancellationToken));

    public async Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        ResourceDefinition definition = request.Store.Definition;
        string? expected = null;
        IKubernetesObject<V1ObjectMeta> saved = await WriteAsync(request, old =>
        {
            // The Scale's resourceVersion, or else the one first read, is a precondition (as for a PUT of the object).
            expected ??= body["metadata"]?["resourceVersion"]?.GetValue<string>() is { Length: > 0 } rv ? rv : old.Metadata.ResourceVersion;
            return expected == old.Metadata.ResourceVersion
                ? Scale.Apply(definition, ObjectCodec.Clone(definition, old), body as JsonObject ?? [])
                : throw ApiErrors.Conflict(definition.GroupResource, request.Name);
        }, cancellationToken);
        return Scale.ToScale(definition, saved);
    }

    public async Task<object> PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken)
    {
        ResourceDefinition definition = request.Store.Definition;
        IKubernetesObject<V1ObjectMeta> saved = await WriteAsync(request, old =>
        {
            IKubernetesObject<V1ObjectMeta> obj = Scale.Apply(definition, ObjectCodec.Clone(definition, old), Patches.Apply(patch, Scale.ToScale(definition, old)));
            Patches.CheckResourceVersion(patch, old, definition, request.Name);
            return obj;
        }, cancellationToken);
        return Scale.ToScale(definition, saved);
    }

    private static Task<IKubernetesObject<V1ObjectMeta>> WriteAsync(RestRequest request, Func<IKubernetesObject<V1ObjectMeta>, IKubernetesObject<V1ObjectMeta>> scaled, CancellationToken cancellationToken) =>
        request.Store.UpdateAsync(request.Info.Namespace, request.Name, request.Info.Subresource, UpdateKind.Resource, request.Info.Options.DryRun, scaled, cancellationToken, manager: request.Manager);
}
