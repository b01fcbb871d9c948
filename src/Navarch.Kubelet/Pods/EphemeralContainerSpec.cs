using k8s;
using k8s.Models;

namespace Navarch.Kubelet.Pods;

/// <summary>An ephemeral container seen as a container: EphemeralContainerCommon is Container's set of fields.</summary>
internal static class EphemeralContainerSpec
{
    /// <summary>The container with <paramref name="container"/>'s fields (targetContainerName is the caller's to use).</summary>
    public static V1Container AsContainer(V1EphemeralContainer container) =>
        KubernetesJson.Deserialize<V1Container>(KubernetesJson.Serialize(container));
}
