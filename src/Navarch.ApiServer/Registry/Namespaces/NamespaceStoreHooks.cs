using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry.Namespaces;

/// <summary>
/// Namespace deletion: the spec's finalizers (the namespace controller's "kubernetes", removed through /finalize)
/// hold a namespace back like metadata finalizers, and a namespace held back is Terminating until it is emptied.
/// </summary>
internal sealed class NamespaceStoreHooks : StoreHooks
{
    /// <inheritdoc />
    public override bool ReturnDeletedObject => true;

    public override bool HasFinalizers(IKubernetesObject<V1ObjectMeta> obj) =>
        base.HasFinalizers(obj) || (obj is V1Namespace ns && ns.Spec?.Finalizers?.Count > 0);

    public override void PrepareForDelete(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj is V1Namespace terminating && HasFinalizers(obj))
        {
            terminating.Status ??= new V1NamespaceStatus();
            terminating.Status.Phase = "Terminating";
        }
    }
}
