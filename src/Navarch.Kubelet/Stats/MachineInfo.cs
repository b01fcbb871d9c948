namespace Navarch.Kubelet.Stats;

/// <summary>
/// cAdvisor's machine info behind <c>machine_cpu_cores</c> and <c>machine_memory_bytes</c>: the logical CPUs
/// (<c>/proc/cpuinfo</c>'s processors), the memory installed (MemTotal) and the labels that tell machines and boots
/// apart (<c>/etc/machine-id</c>, the kernel's boot id, the DMI product UUID where it can be read).
/// </summary>
internal sealed record MachineInfo(int Cores, ulong MemoryBytes, string MachineId, string BootId, string SystemUuid)
{
    /// <summary>Reads this machine; <paramref name="readFile"/> answers null for a file that cannot be read.</summary>
    public static MachineInfo Read(ulong memoryBytes, Func<string, string?>? readFile = null)
    {
        Func<string, string?> read = readFile ?? ReadOrNull;
        int cores = (read("/proc/cpuinfo") ?? "").Split('\n').Count(l => l.StartsWith("processor", StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal));
        return new MachineInfo(
            cores > 0 ? cores : Environment.ProcessorCount,
            memoryBytes,
            read("/etc/machine-id")?.Trim() ?? "",
            read("/proc/sys/kernel/random/boot_id")?.Trim() ?? "",
            read("/sys/class/dmi/id/product_uuid")?.Trim() ?? "");
    }

    /// <summary>A file's text, or null when it cannot be read (absent, or gone meanwhile).</summary>
    internal static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
