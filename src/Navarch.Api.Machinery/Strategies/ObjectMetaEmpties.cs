using k8s.Models;

namespace Navarch.Api.Strategies;

/// <summary>Empty lists and maps in metadata are stored as absent, as Kubernetes' omitempty fields serialize.</summary>
internal static class ObjectMetaEmpties
{
    /// <summary>Sets metadata's empty owner references, finalizers, labels and annotations to null.</summary>
    public static void Drop(V1ObjectMeta metadata)
    {
        if (metadata.OwnerReferences is { Count: 0 })
        {
            metadata.OwnerReferences = null;
        }

        if (metadata.Finalizers is { Count: 0 })
        {
            metadata.Finalizers = null;
        }

        if (metadata.Labels is { Count: 0 })
        {
            metadata.Labels = null;
        }

        if (metadata.Annotations is { Count: 0 })
        {
            metadata.Annotations = null;
        }
    }
}
