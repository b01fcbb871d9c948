namespace Navarch.ApiServer.Audit;

/// <summary>
/// The object a resource request is about (audit.k8s.io/v1 <c>ObjectReference</c>), from the request's URL and, for a
/// create or update, filled in from the object sent; "" fields are left out of the event.
/// </summary>
internal sealed class AuditObjectReference
{
    public string Resource { get; set; } = "";

    public string Namespace { get; set; } = "";

    public string Name { get; set; } = "";

    public string Uid { get; set; } = "";

    public string ApiGroup { get; set; } = "";

    public string ApiVersion { get; set; } = "";

    public string ResourceVersion { get; set; } = "";

    public string Subresource { get; set; } = "";
}
