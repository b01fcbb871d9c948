using k8s;
using k8s.Models;

namespace Navarch.Client.Informers;

/// <summary>client-go's MetaNamespaceKeyFunc.</summary>
public static class ObjectKeys
{
    /// <summary>The cache and work-queue key of an object: <c>namespace/name</c>, or <c>name</c> for cluster-scoped objects.</summary>
    public static string KeyOf(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) ? obj.Metadata.Name : $"{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}";
    }
}
