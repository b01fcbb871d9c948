using Microsoft.AspNetCore.Http;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// A storage that takes over the connection (k8s.io/apiserver's <c>rest.Connecter</c>): pods/log, exec, attach,
/// portforward and proxy, whatever the method.
/// </summary>
internal interface IRestConnecter
{
    /// <summary>Serves the request, streaming the response itself.</summary>
    Task ConnectAsync(HttpContext context, RestRequest request);
}
