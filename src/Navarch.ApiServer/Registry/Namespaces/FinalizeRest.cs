using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Registry.Namespaces;

/// <summary>
/// <c>namespaces/{name}/finalize</c> (PUT only): how the namespace controller removes the spec finalizer of an
/// emptied namespace, after which the namespace is deleted. Written through the namespace's own update rules.
/// </summary>
internal sealed class FinalizeRest : IRestUpdater
{
    public Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken) =>
        request.Store.ReplaceAsync(request, body, UpdateKind.Resource, cancellationToken);
}
