using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// What the audit policy and the event's object reference are judged on (the authorizer attributes kube-apiserver's
/// audit filter reads): the authenticated user — null when authentication failed —, the verb and, for a resource
/// request, its group, version, resource, subresource, namespace and name ("" when absent).
/// </summary>
internal sealed record AuditAttributes(
    UserInfo? User,
    string Verb,
    bool IsResourceRequest,
    string Path,
    string Group = "",
    string Version = "",
    string Resource = "",
    string Subresource = "",
    string Namespace = "",
    string Name = "")
{
    /// <summary>
    /// The attributes of a parsed request. As Kubernetes' RequestInfo, a Namespace object's own requests are in that
    /// namespace, and a list or watch pinned by <c>metadata.name</c> names that object.
    /// </summary>
    public static AuditAttributes From(RequestInfo info, UserInfo? user)
    {
        if (!info.IsResourceRequest)
        {
            return new AuditAttributes(user, info.Verb, false, info.Path);
        }

        string? name = info.Name ?? (info.Verb is "list" or "watch" ? info.Options.Fields.RequiresExactMatch("metadata.name") : null);
        string? ns = info.Namespace ?? (info.Resource == "namespaces" && info.Group.Length == 0 ? info.Name : null);
        return new AuditAttributes(user, info.Verb, true, info.Path, info.Group, info.Version, info.Resource, info.Subresource ?? "", ns ?? "", name ?? "");
    }
}
