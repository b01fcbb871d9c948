using k8s;
using k8s.Models;

namespace Navarch.Api;

/// <summary>
/// What makes one resource behave like Kubernetes' (its <c>rest.RESTCreateStrategy</c>, update strategy and table
/// convertor in one). The generic REST handler calls these in Kubernetes' order:
/// create: PrepareForCreate → Default → Validate; update: PrepareForUpdate → Default → ValidateUpdate.
/// Objects are the k8s.Models type named by <see cref="ResourceDefinition.ClrType"/>; strategies may mutate the
/// object they are given (the handler passes its own copy) but never <c>old</c>.
/// </summary>
public interface IResourceStrategy
{
    /// <summary>
    /// Resets what a client may not set on create: status (for resources with a status subresource), and for
    /// resources with a spec sets metadata.generation to 1.
    /// </summary>
    void PrepareForCreate(IKubernetesObject<V1ObjectMeta> obj);

    /// <summary>
    /// For a main-resource update: keeps <paramref name="old"/>'s status (when status is a subresource) and bumps
    /// metadata.generation when the spec changed.
    /// </summary>
    void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old);

    /// <summary>For a /status update: keeps <paramref name="old"/>'s spec (and metadata other than labels/annotations as Kubernetes does).</summary>
    void PrepareForStatusUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old);

    /// <summary>Fills defaults the way Kubernetes' defaulting functions do (e.g. a pod's restartPolicy, dnsPolicy).</summary>
    void Default(IKubernetesObject<V1ObjectMeta> obj);

    /// <summary>Validates a new object; an empty list means valid.</summary>
    IReadOnlyList<FieldError> Validate(IKubernetesObject<V1ObjectMeta> obj);

    /// <summary>Validates an update (including immutable fields); an empty list means valid.</summary>
    IReadOnlyList<FieldError> ValidateUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old);

    /// <summary>Validates a /status update; an empty list means valid.</summary>
    IReadOnlyList<FieldError> ValidateStatusUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old);

    /// <summary>
    /// The fields a field selector may use for this resource and their values for <paramref name="obj"/>
    /// (always metadata.name and, when namespaced, metadata.namespace).
    /// </summary>
    IReadOnlyDictionary<string, string> SelectableFields(IKubernetesObject<V1ObjectMeta> obj);

    /// <summary>The server-side table columns, as <c>kubectl get</c> shows them (priority 1 = only with -o wide).</summary>
    IReadOnlyList<TableColumn> TableColumns { get; }

    /// <summary>The cells of one table row, matching <see cref="TableColumns"/>; <paramref name="now"/> is for AGE columns.</summary>
    IReadOnlyList<object?> TableRow(IKubernetesObject<V1ObjectMeta> obj, DateTimeOffset now);
}
