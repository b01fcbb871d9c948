using k8s.Models;

namespace Navarch.Kubelet.Probes;

/// <summary>What a probe or hook acts on: the CRI container, the pod IP (the default host) and the container's spec (named ports).</summary>
internal sealed record ProbeTarget(string ContainerId, string? PodIp, V1Container Container);
