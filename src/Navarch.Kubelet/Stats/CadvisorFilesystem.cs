namespace Navarch.Kubelet.Stats;

/// <summary>
/// cAdvisor's <c>FsStats</c> of a container's writable layer: the <paramref name="Device"/> the layer's filesystem is
/// mounted from, the bytes the layer uses (<c>container_fs_usage_bytes</c>) and the filesystem's size
/// (<c>container_fs_limit_bytes</c>).
/// </summary>
internal sealed record CadvisorFilesystem(string Device, ulong UsageBytes, ulong LimitBytes, DateTime Time);
