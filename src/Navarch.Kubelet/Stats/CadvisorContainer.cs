namespace Navarch.Kubelet.Stats;

/// <summary>
/// One container as <c>/metrics/cadvisor</c> labels it: its cgroup (<c>id</c>), its runtime id (<c>name</c>, as
/// cAdvisor names containerd's containers), the image it runs, its pod, and its CPU, memory and start as the runtime
/// reported them; its writable layer's filesystem and its cgroup's block I/O; and, for a pod's sandbox (the pause
/// container, <c>container=""</c>, where cAdvisor reports a pod's network), the pod's network interfaces.
/// </summary>
internal sealed record CadvisorContainer(string Id, string Name, string Container, string Namespace, string Pod, string Image, DateTime? StartTime, CpuStats? Cpu, MemoryStats? Memory)
{
    /// <summary>The filesystem of the container's writable layer: what it uses of it and the filesystem's size.</summary>
    public CadvisorFilesystem? Filesystem { get; init; }

    /// <summary>The container cgroup's block I/O per device.</summary>
    public IReadOnlyList<BlockDeviceIo> DiskIo { get; init; } = [];

    /// <summary>The pod's network interfaces (on its sandbox only; loopback left out, as cAdvisor does).</summary>
    public IReadOnlyList<InterfaceStats> Network { get; init; } = [];
}
