using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// The image-pull part of Kubernetes' ServiceAccount admission: a new pod that names no imagePullSecrets gets its
/// service account's. (The account defaults to "default" in the pod strategy; a pod whose account does not exist
/// yet is let through unchanged rather than refused, since the service account controller creates "default"
/// shortly after its namespace.)
/// </summary>
internal sealed class ServiceAccountPullSecrets(IStore store, ResourceCatalog catalog) : IAdmissionPlugin
{
    public string Name => "ServiceAccount";

    public bool Mutating => true;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Create || request.Object is not V1Pod { Spec: { } spec } || request.Namespace is null
            || spec.ImagePullSecrets is { Count: > 0 } || string.IsNullOrEmpty(spec.ServiceAccountName))
        {
            return;
        }

        ResourceDefinition accounts = catalog.Find("", "v1", "serviceaccounts")!;
        KeyValue? kv = await store.GetAsync(accounts.Key(request.Namespace, spec.ServiceAccountName), 0, cancellationToken);
        if (kv is not null && ObjectCodec.Decode(accounts, kv) is V1ServiceAccount { ImagePullSecrets: { Count: > 0 } secrets })
        {
            spec.ImagePullSecrets = secrets.Select(s => new V1LocalObjectReference { Name = s.Name }).ToList();
        }
    }
}
