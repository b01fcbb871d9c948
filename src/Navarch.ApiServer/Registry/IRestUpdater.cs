using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Registry;

/// <summary>A storage that serves PUT (k8s.io/apiserver's <c>rest.Updater</c>).</summary>
internal interface IRestUpdater
{
    /// <summary>Replaces the object with <paramref name="body"/>; the result is sent back with 200.</summary>
    Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken);
}
