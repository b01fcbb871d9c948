using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Strategies.Core;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// <c>pods/{name}/ephemeralcontainers</c> (pkg/registry/core/pod/storage EphemeralContainersREST): GET shows the pod;
/// PUT and PATCH (what <c>kubectl debug</c> sends: a strategic merge patch of the pod) change only
/// spec.ephemeralContainers, through the store's GuaranteedUpdate with the subresource's strategy
/// (<see cref="EphemeralContainerValidation"/>) and admission, which sees the update on this subresource.
/// </summary>
internal sealed class EphemeralContainersRest : IRestGetter, IRestUpdater, IRestPatcher
{
    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken) =>
        await request.Store.GetAsync(request.Info.Namespace, request.Name, cancellationToken);

    public Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken) =>
        request.Store.ReplaceAsync(request, body, UpdateKind.Subresource, cancellationToken, Check(request));

    public Task<object> PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken) =>
        request.Store.PatchAsync(request, patch, UpdateKind.Subresource, cancellationToken, Check(request));

    /// <summary>Run on each attempt with the object about to be written (a fresh one each time): prepared, then validated.</summary>
    private static UpdatedObjectCheck Check(RestRequest request) => (obj, old, _) =>
    {
        var pod = (V1Pod)obj;
        var stored = (V1Pod)old;
        EphemeralContainerValidation.PrepareForUpdate(pod, stored);
        IReadOnlyList<FieldError> errors = EphemeralContainerValidation.ValidateUpdate(pod, stored);
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(request.Store.Definition.Kind, request.Store.Definition.Group, request.Name, errors);
        }

        return Task.CompletedTask;
    };
}
