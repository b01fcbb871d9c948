namespace Navarch.ApiServer.ResourceMetrics;

/// <summary>A pod's containers' usage, and the node it was read from.</summary>
internal sealed record PodUsage(string Namespace, string Name, string Uid, string Node, IReadOnlyList<ContainerUsage> Containers);
