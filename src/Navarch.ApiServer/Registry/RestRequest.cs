using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry.ManagedFields;

namespace Navarch.ApiServer.Registry;

/// <summary>One call on a REST storage: the parsed request, who makes it, the store of its resource, and how to decode bodies.</summary>
/// <param name="Info">The request (namespace, name, subresource, options).</param>
/// <param name="Store">The registry store of the resource the request is on (for a subresource, its parent's).</param>
/// <param name="Decode">Decodes a body as an object under the request's field validation.</param>
/// <param name="User">The user the request is made as (after impersonation), as Kubernetes carries it in the request context.</param>
internal sealed record RestRequest(RequestInfo Info, GenericStore Store, ObjectDecoder Decode, UserInfo User)
{
    /// <summary>The object's name; only subresources and named verbs are asked, so it is always there.</summary>
    public string Name => Info.Name ?? "";

    /// <summary>The client's User-Agent, which names the field manager of a write that does not name one.</summary>
    public string UserAgent { get; init; } = "";

    /// <summary>The field manager of a write: <c>fieldManager</c>, else the User-Agent's product (apiserver's managerOrUserAgent).</summary>
    public string Manager => Info.Options.FieldManager is { Length: > 0 } manager ? manager : FieldManagement.PrefixFromUserAgent(UserAgent);
}
