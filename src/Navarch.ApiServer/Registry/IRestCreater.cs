using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Registry;

/// <summary>A storage that serves POST (k8s.io/apiserver's <c>rest.Creater</c> and <c>rest.NamedCreater</c>).</summary>
internal interface IRestCreater
{
    /// <summary>Creates from <paramref name="body"/>; the result is sent back with 201 (a Status with its own code).</summary>
    Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken);
}
