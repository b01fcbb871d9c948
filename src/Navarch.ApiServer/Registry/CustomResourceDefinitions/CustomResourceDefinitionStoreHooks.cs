using k8s;
using k8s.Models;
using Navarch.Api.Apiextensions;
using Crds = Navarch.Api.Apiextensions.CustomResourceDefinitions;
using Navarch.ApiServer.Apiextensions;

namespace Navarch.ApiServer.Registry.CustomResourceDefinitions;

/// <summary>
/// CustomResourceDefinition deletion (apiextensions-apiserver's CRD REST Delete): the first delete adds the
/// <c>customresourcecleanup.apiextensions.k8s.io</c> finalizer and the Terminating condition, so the CRD stays until
/// its objects are gone (the finalizer's controller removes them, then the finalizer).
/// </summary>
internal sealed class CustomResourceDefinitionStoreHooks(TimeProvider time) : StoreHooks
{
    public override bool HasFinalizers(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.DeletionTimestamp is null || base.HasFinalizers(obj);

    public override void PrepareForDelete(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj is not V1CustomResourceDefinition crd || crd.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        crd.Metadata.Finalizers ??= [];
        if (!crd.Metadata.Finalizers.Contains(Crds.CleanupFinalizer))
        {
            crd.Metadata.Finalizers.Add(Crds.CleanupFinalizer);
        }

        CustomResourceDefinitionConditions.Set(crd, CustomResourceNaming.Condition(
            "Terminating", "True", "InstanceDeletionPending", "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon", crd, time.GetUtcNow().UtcDateTime));
    }
}
