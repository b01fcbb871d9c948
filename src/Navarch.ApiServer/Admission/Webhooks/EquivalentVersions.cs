using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// What <c>matchPolicy: Equivalent</c> sends (apiserver's VersionedAttributes): a webhook matched on another version
/// of the requested resource sees the request's objects converted to that version — through the storage version,
/// as the resource's converters go (a custom resource's by its CRD's strategy, a conversion webhook included).
/// </summary>
internal static class EquivalentVersions
{
    /// <summary>The request's object and old object as <paramref name="resource"/>'s version.</summary>
    public static async ValueTask<(IKubernetesObject<V1ObjectMeta>? Object, IKubernetesObject<V1ObjectMeta>? OldObject)> OfAsync(
        AdmissionRequest request, ResourceDefinition resource, CancellationToken cancellationToken) =>
        (await ConvertAsync(request.Object, request.Resource, resource, cancellationToken), await ConvertAsync(request.OldObject, request.Resource, resource, cancellationToken));

    /// <summary><paramref name="obj"/>, of <paramref name="from"/>'s version, as <paramref name="to"/>'s; a failed conversion is an internal error.</summary>
    public static async ValueTask<IKubernetesObject<V1ObjectMeta>?> ConvertAsync(
        IKubernetesObject<V1ObjectMeta>? obj, ResourceDefinition from, ResourceDefinition to, CancellationToken cancellationToken)
    {
        if (obj is null || (from.Group == to.Group && from.Version == to.Version))
        {
            return obj;
        }

        try
        {
            object stored = from.Converter is { } toStorage ? await toStorage.ToStorageAsync(obj, cancellationToken) : obj;
            object converted = to.Converter is { } fromStorage ? (await fromStorage.FromStorageAsync([stored], cancellationToken))[0] : stored;
            return (IKubernetesObject<V1ObjectMeta>)converted;
        }
        catch (StatusException e)
        {
            throw ApiErrors.Internal(e.Status.Message ?? "conversion failed");
        }
    }
}
