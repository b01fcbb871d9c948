using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' NamespaceLifecycle: nothing is created in a namespace that does not exist or is being deleted,
/// and the system namespaces cannot be deleted.
/// </summary>
internal sealed class NamespaceLifecycle(IStore store, ResourceCatalog catalog) : IAdmissionPlugin
{
    private static readonly HashSet<string> Immortal = new(StringComparer.Ordinal) { "default", "kube-system", "kube-public" };

    public string Name => "NamespaceLifecycle";

    public bool Mutating => false;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Resource.Kind == "Namespace" && request.Resource.Group.Length == 0)
        {
            if (request.Operation == AdmissionOperation.Delete && Immortal.Contains(request.Name))
            {
                throw ApiErrors.Forbidden("namespaces", request.Name, "this namespace may not be deleted");
            }

            return;
        }

        if (request.Operation != AdmissionOperation.Create || request.Namespace is null)
        {
            return;
        }

        IKubernetesObject<V1ObjectMeta> ns = await ObjectCodec.ReadAsync(store, catalog.Find("", "v1", "namespaces")!, null, request.Namespace, cancellationToken)
            ?? throw ApiErrors.NotFound("namespaces", request.Namespace);
        if (ns.Metadata.DeletionTimestamp is not null)
        {
            throw ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, $"unable to create new content in namespace {request.Namespace} because it is being terminated");
        }
    }
}
