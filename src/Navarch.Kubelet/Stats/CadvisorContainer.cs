namespace Navarch.Kubelet.Stats;

/// <summary>
/// One container as <c>/metrics/cadvisor</c> labels it: its cgroup (<c>id</c>), its runtime id (<c>name</c>, as
/// cAdvisor names containerd's containers), the image it runs, its pod, and its CPU, memory and start as the runtime
/// reported them.
/// </summary>
internal sealed record CadvisorContainer(string Id, string Name, string Container, string Namespace, string Pod, string Image, DateTime? StartTime, CpuStats? Cpu, MemoryStats? Memory);
