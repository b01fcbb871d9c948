namespace Navarch.Kubelet.Stats;

/// <summary>
/// A cgroup's I/O on one block device (cgroup v2 <c>io.stat</c>'s <c>rbytes</c>, <c>wbytes</c>, <c>rios</c>,
/// <c>wios</c>; v1 <c>blkio.throttle.io_service_bytes</c> and <c>io_serviced</c>), with the device named as cAdvisor
/// names it (<c>/dev/sda</c>).
/// </summary>
internal sealed record BlockDeviceIo(string Device, ulong ReadBytes, ulong WriteBytes, ulong Reads, ulong Writes);
