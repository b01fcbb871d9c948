using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Admission;

/// <summary>The operation an admission plugin sees.</summary>
internal enum AdmissionOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// One write on its way to the store, as admission plugins see it (Kubernetes' admission.Attributes);
/// <c>Subresource</c> is null for the resource itself, else e.g. "status", "scale" or "binding". <see cref="User"/> is who
/// asks: the request's authenticated user unless set.
/// </summary>
internal sealed record AdmissionRequest(
    AdmissionOperation Operation,
    ResourceDefinition Resource,
    string? Namespace,
    string Name,
    IKubernetesObject<V1ObjectMeta>? Object,
    IKubernetesObject<V1ObjectMeta>? OldObject,
    string? Subresource)
{
    /// <summary>The user making the request (null for the server's own writes).</summary>
    public Http.UserInfo? User { get; init; } = Http.RequestContext.User;
}
