using Microsoft.AspNetCore.Http;

namespace Navarch.ApiServer.Http;

/// <summary>
/// k8s.io/apiserver's <c>RequestInfoFactory</c>: reads <c>/api/{version}/...</c> and <c>/apis/{group}/{version}/...</c>
/// as <c>[namespaces/{namespace}/]{resource}[/{name}[/{subresource}[/...]]]</c> and the method as the verb (a GET
/// without a name is a list, or a watch with <c>watch=true</c>; a DELETE without one a deletecollection). It only
/// parses: whether the resource is served is the caller's question.
/// </summary>
internal static class RequestInfoFactory
{
    // The subresources of a Namespace object itself, which are not namespaced resources.
    private static readonly HashSet<string> NamespaceSubresources = new(StringComparer.Ordinal) { "status", "finalize" };

    public static RequestInfo Parse(HttpRequest request) =>
        Parse(request.Method, request.Path.Value ?? "/", request.Query);

    public static RequestInfo Parse(string method, string path, IQueryCollection query)
    {
        string methodVerb = method.ToLowerInvariant();
        string[] parts = path.Trim('/').Split('/');
        var nonResource = new RequestInfo(false, path, methodVerb, "", "", "", null, "", null, null, [], RequestOptions.None);
        if (parts.Length < 3 || parts[0] is not ("api" or "apis") || (parts[0] == "apis" && parts.Length < 4))
        {
            return nonResource;
        }

        (string prefix, string group, string version, int at) = parts[0] == "api" ? ("api", "", parts[1], 2) : ("apis", parts[1], parts[2], 3);
        string[] rest = parts[at..];
        string? ns = null;
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2]))
            {
                ns = rest[1];
                rest = rest[2..];
            }

            // else: the Namespace object itself (/namespaces/{name}[/status|/finalize]). Kubernetes also sets the
            // request's namespace to {name} there (so a RoleBinding in it can grant access to it); Navarch has always
            // authorized Namespace objects at the cluster scope, and keeps that until it is decided on its own.
        }

        string? name = rest.Length >= 2 ? rest[1] : null;
        string? subresource = rest.Length >= 3 ? rest[2] : null;
        string verb = (method, name) switch
        {
            ("GET", null) => RequestOptions.Flag(query, "watch") ? "watch" : "list",
            ("GET", _) => "get",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", null) => "deletecollection",
            ("DELETE", _) => "delete",
            _ => methodVerb,
        };
        return new RequestInfo(true, path, verb, prefix, group, version, ns, rest[0], name, subresource, rest, RequestOptions.Parse(verb, query));
    }
}
