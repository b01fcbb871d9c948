using Navarch.Api;
using Navarch.ApiServer.Authorization.Rbac;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// The 403 a denied request gets (k8s.io/apiserver responsewriters.ForbiddenStatusError):
/// <c>pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "n"</c>, or
/// <c>forbidden: User "u" cannot get path "/x"</c> for a non-resource URL, then <c>: reason</c> when there is one.
/// </summary>
internal static class ForbiddenStatus
{
    public static StatusException For(RequestAttributes request, string reason)
    {
        string user = PolicyRuleFormat.Quote(request.User.Name);
        string message;
        string groupResource = "";
        if (request.NonResourcePath is { } path)
        {
            message = $"User {user} cannot {request.Verb} path {PolicyRuleFormat.Quote(path)}";
        }
        else
        {
            string resource = request.Subresource is { Length: > 0 } sub ? $"{request.Resource}/{sub}" : request.Resource;
            string scope = string.IsNullOrEmpty(request.Namespace) ? "at the cluster scope" : $"in the namespace {PolicyRuleFormat.Quote(request.Namespace)}";
            message = $"User {user} cannot {request.Verb} resource {PolicyRuleFormat.Quote(resource)} in API group {PolicyRuleFormat.Quote(request.Group)} {scope}";
            groupResource = request.Group.Length == 0 ? request.Resource : $"{request.Resource}.{request.Group}";
        }

        // As Kubernetes, the message is HTML-escaped: it may carry names the client chose.
        message = message.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
        return ApiErrors.Forbidden(groupResource, request.Name ?? "", reason.Length == 0 ? message : $"{message}: {reason}");
    }
}
