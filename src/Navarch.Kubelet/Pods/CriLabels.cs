namespace Navarch.Kubelet.Pods;

/// <summary>The labels the kubelet puts on CRI sandboxes and containers to find them again (the same keys as Kubernetes').</summary>
internal static class CriLabels
{
    public const string PodName = "io.kubernetes.pod.name";
    public const string PodNamespace = "io.kubernetes.pod.namespace";
    public const string PodUid = "io.kubernetes.pod.uid";
    public const string ContainerName = "io.kubernetes.container.name";
    public const string ManagedBy = "io.navarch.managed";
}
