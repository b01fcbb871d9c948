using System.Globalization;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// Reads this machine's usage for the node entry of <c>/stats/summary</c> and <c>/metrics/resource</c> — what the
/// kubelet takes from cAdvisor's root container — from <c>/proc/stat</c> and <c>/proc/meminfo</c>, so a node's usage
/// counts everything on it (system daemons, the kubelet itself), not only its pods. The CPU rate
/// (<c>usageNanoCores</c>) is taken between this reading and the one before, as cAdvisor takes it between its last two
/// housekeeping samples; the first reading has none.
/// </summary>
internal sealed class NodeUsageReader(TimeProvider time, Func<string, string>? readFile = null)
{
    /// <summary>Linux's USER_HZ: /proc/stat counts in hundredths of a second on every architecture the kernel exports it.</summary>
    private const ulong NanosecondsPerTick = 10_000_000;

    private readonly Func<string, string> _read = readFile ?? File.ReadAllText;
    private readonly Lock _lock = new();
    private (DateTimeOffset At, ulong CpuNanoseconds)? _previous;
    private ulong? _lastRate;

    /// <summary>Reads the machine now.</summary>
    public NodeUsageSample Read()
    {
        DateTimeOffset now = time.GetUtcNow();
        ulong cpu = CpuNanoseconds(_read("/proc/stat"));
        Dictionary<string, ulong> memory = MemInfo(_read("/proc/meminfo"));
        ulong? rate;
        lock (_lock)
        {
            // Readings closer than a tick apart say nothing about the rate: the last one stands.
            if (_previous is { } previous && now - previous.At >= TimeSpan.FromMilliseconds(100) && cpu >= previous.CpuNanoseconds)
            {
                _lastRate = (ulong)((cpu - previous.CpuNanoseconds) / (now - previous.At).TotalSeconds);
                _previous = (now, cpu);
            }
            else if (_previous is null)
            {
                _previous = (now, cpu);
            }

            rate = _lastRate;
        }

        ulong total = memory.GetValueOrDefault("MemTotal");
        ulong usage = total - Math.Min(total, memory.GetValueOrDefault("MemFree"));
        ulong workingSet = usage - Math.Min(usage, memory.GetValueOrDefault("Inactive(file)"));
        bool swap = memory.TryGetValue("SwapTotal", out ulong swapTotal) && memory.TryGetValue("SwapFree", out _);
        return new NodeUsageSample(
            now,
            cpu,
            rate,
            usage,
            workingSet,
            total - Math.Min(total, workingSet),
            swap ? swapTotal - Math.Min(swapTotal, memory["SwapFree"]) : null,
            swap ? memory["SwapFree"] : null);
    }

    /// <summary>
    /// The CPU time every core has spent busy since boot: the aggregate <c>cpu</c> line's user, nice, system, irq,
    /// softirq and steal ticks (idle and iowait are not use; guest time is inside user already).
    /// </summary>
    public static ulong CpuNanoseconds(string procStat)
    {
        ArgumentNullException.ThrowIfNull(procStat);
        foreach (string line in procStat.Split('\n'))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is ["cpu", ..] && fields.Length >= 8)
            {
                ulong Tick(int i) => i < fields.Length && ulong.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : 0;
                return (Tick(1) + Tick(2) + Tick(3) + Tick(6) + Tick(7) + Tick(8)) * NanosecondsPerTick;
            }
        }

        throw new FormatException("/proc/stat has no aggregate cpu line");
    }

    /// <summary>/proc/meminfo's fields, in bytes.</summary>
    public static Dictionary<string, ulong> MemInfo(string procMeminfo)
    {
        ArgumentNullException.ThrowIfNull(procMeminfo);
        var fields = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in procMeminfo.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string[] value = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (value.Length > 0 && ulong.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong amount))
            {
                fields[line[..colon]] = value is [_, "kB"] ? amount * 1024 : amount;
            }
        }

        return fields;
    }
}
