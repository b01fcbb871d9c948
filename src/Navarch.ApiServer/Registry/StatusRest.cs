using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The status subresource of any resource that has one (apiserver's StatusREST): GET shows the object, PUT and PATCH
/// change only its status, through the strategy's status rules.
/// </summary>
internal sealed class StatusRest : IRestGetter, IRestUpdater, IRestPatcher
{
    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken) =>
        await request.Store.GetAsync(request.Info.Namespace, request.Name, cancellationToken);

    public Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken) =>
        request.Store.ReplaceAsync(request, body, UpdateKind.Status, cancellationToken);

    public Task<object> PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken) =>
        request.Store.PatchAsync(request, patch, UpdateKind.Status, cancellationToken);
}
