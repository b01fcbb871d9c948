namespace Navarch.ApiServer.Http;

/// <summary>
/// What a request is about, parsed once from its method, path and query (k8s.io/apiserver's <c>RequestInfo</c>):
/// authorization, the in-flight limit and the handlers all read this instead of the URL.
/// </summary>
/// <param name="IsResourceRequest">False for non-resource URLs (<c>/healthz</c>, <c>/api</c>, <c>/apis/apps/v1</c>).</param>
/// <param name="Path">The URL path.</param>
/// <param name="Verb">get, list, watch, create, update, patch, delete or deletecollection (the method, lower-case, for anything else).</param>
/// <param name="ApiPrefix">"api" or "apis".</param>
/// <param name="Group">The API group ("" for core).</param>
/// <param name="Version">The API version.</param>
/// <param name="Namespace">The namespace of the request; null at the cluster scope.</param>
/// <param name="Resource">The resource's plural, e.g. "pods".</param>
/// <param name="Name">The object's name; null for collections.</param>
/// <param name="Subresource">The subresource, e.g. "status" or "exec"; null for the resource itself.</param>
/// <param name="Parts">The path from the resource on: resource, name, subresource and anything after it.</param>
/// <param name="Options">The query options that apply to the verb.</param>
internal sealed record RequestInfo(
    bool IsResourceRequest,
    string Path,
    string Verb,
    string ApiPrefix,
    string Group,
    string Version,
    string? Namespace,
    string Resource,
    string? Name,
    string? Subresource,
    IReadOnlyList<string> Parts,
    RequestOptions Options)
{
    /// <summary>The group/resource as RBAC rules and error messages name it, e.g. "pods/exec".</summary>
    public string ResourceWithSubresource => Subresource is null ? Resource : $"{Resource}/{Subresource}";
}
