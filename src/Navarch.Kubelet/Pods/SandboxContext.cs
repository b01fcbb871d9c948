using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>The running sandbox a sync works in, as the runtime reported it at the start of the sync.</summary>
/// <param name="Id">Its ID.</param>
/// <param name="Config">The config its containers are made with.</param>
/// <param name="PodIp">The pod's IP (the node's with hostNetwork).</param>
/// <param name="NetworkIp">The IP of the sandbox's own network (empty with hostNetwork), which <c>status.podIP</c> variables get.</param>
/// <param name="Ready">Whether it runs and the pod has an IP.</param>
internal sealed record SandboxContext(string Id, PodSandboxConfig Config, string? PodIp, string? NetworkIp, bool Ready);
