using k8s;
using k8s.Models;
using Navarch.Client.Delegation;

namespace Navarch.Kubelet.Server;

/// <summary>
/// The kubelet API's bearer-token path (the kubelet's <c>--authentication-token-webhook</c> and
/// <c>--authorization-mode=Webhook</c>, pkg/kubelet/server/auth.go): a token is checked with a TokenReview and the
/// request authorized with a SubjectAccessReview on this node's <c>nodes</c> subresource its path maps to — so a
/// Prometheus with a ServiceAccount token bound to <c>get nodes/metrics</c> scrapes <c>/metrics</c> and nothing else.
/// Answers are kept as the kubelet keeps them (2 minutes for tokens, 5 minutes allowed, 30 seconds denied).
/// </summary>
internal sealed class KubeletAuth(IKubernetes client, string nodeName, TimeProvider time)
{
    private readonly DelegatingAuthenticator _authenticator = new(client, TimeSpan.FromMinutes(2), time);
    private readonly DelegatingAuthorizer _authorizer = new(client, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), time);

    /// <summary>The user of <paramref name="token"/>, or null when the API server does not authenticate it.</summary>
    public Task<V1UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken) =>
        _authenticator.AuthenticateAsync(token, cancellationToken);

    /// <summary>Whether <paramref name="user"/> may make the request; the attributes it was judged by.</summary>
    public async Task<(bool Allowed, V1ResourceAttributes Attributes)> AuthorizeAsync(V1UserInfo user, string method, string path, CancellationToken cancellationToken)
    {
        V1ResourceAttributes attributes = Attributes(nodeName, method, path);
        return (await _authorizer.AllowedAsync(user, attributes, null, cancellationToken).ConfigureAwait(false), attributes);
    }

    /// <summary>
    /// The kubelet's request attributes: the HTTP method as an API verb, on <c>nodes/proxy</c> of this node, narrowed to
    /// <c>stats</c>, <c>metrics</c> or <c>log</c> for the paths under <c>/stats</c>, <c>/metrics</c> and <c>/logs</c>.
    /// </summary>
    internal static V1ResourceAttributes Attributes(string nodeName, string method, string path) => new()
    {
        Verb = method switch
        {
            "POST" => "create",
            "GET" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        },
        Version = "v1",
        Resource = "nodes",
        Subresource = IsSubpath(path, "/stats") ? "stats" : IsSubpath(path, "/metrics") ? "metrics" : IsSubpath(path, "/logs") ? "log" : "proxy",
        Name = nodeName,
    };

    private static bool IsSubpath(string path, string parent) =>
        path == parent || (path.StartsWith(parent, StringComparison.Ordinal) && path[parent.Length] == '/');
}
