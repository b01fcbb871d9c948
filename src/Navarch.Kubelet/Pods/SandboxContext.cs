using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>The running sandbox a sync works in: its ID, the config its containers are made with, and its IP.</summary>
internal sealed record SandboxContext(string Id, PodSandboxConfig Config, string? PodIp);
