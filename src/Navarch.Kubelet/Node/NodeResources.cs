using System.Globalization;
using k8s.Models;

namespace Navarch.Kubelet.Node;

/// <summary>What the node has left, read each status update (the kubelet's eviction manager signals).</summary>
/// <param name="MemoryAvailable">memory.available: MemAvailable from /proc/meminfo, bytes.</param>
/// <param name="MemoryCapacity">MemTotal, bytes.</param>
/// <param name="NodeFsAvailable">nodefs.available: free bytes on the data dir's filesystem (for unprivileged use).</param>
/// <param name="NodeFsCapacity">The size of that filesystem, bytes.</param>
/// <param name="PidAvailable">pid.available: kernel.pid_max less the processes running.</param>
/// <param name="PidCapacity">kernel.pid_max.</param>
public sealed record NodeReadings(long MemoryAvailable, long MemoryCapacity, long NodeFsAvailable, long NodeFsCapacity, long PidAvailable, long PidCapacity)
{
    /// <summary>Reads this machine, with <paramref name="dataDir"/> standing for nodefs (containerd's root lives under it).</summary>
    public static NodeReadings Read(string dataDir)
    {
        var drive = new DriveInfo(Path.GetFullPath(dataDir));
        long pidMax = long.TryParse(File.Exists("/proc/sys/kernel/pid_max") ? File.ReadAllText("/proc/sys/kernel/pid_max").Trim() : "", CultureInfo.InvariantCulture, out long max) ? max : 32768;
        long running = Directory.EnumerateDirectories("/proc").Count(d => Path.GetFileName(d).All(char.IsAsciiDigit));
        return new NodeReadings(HostInfo.MemoryAvailableBytes(), HostInfo.MemoryBytes(), drive.AvailableFreeSpace, drive.TotalSize, pidMax - running, pidMax);
    }

    /// <summary>The reading of <paramref name="signal"/> and what a percentage of it is taken of.</summary>
    public (long Available, long Capacity) Of(string signal) => signal switch
    {
        EvictionThreshold.MemoryAvailable => (MemoryAvailable, MemoryCapacity),
        EvictionThreshold.NodeFsAvailable or EvictionThreshold.ImageFsAvailable => (NodeFsAvailable, NodeFsCapacity),
        EvictionThreshold.PidAvailable => (PidAvailable, PidCapacity),
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "not an eviction signal"),
    };
}

/// <summary>
/// A hard eviction threshold, as the kubelet's <c>--eviction-hard</c>: a signal under a quantity
/// (<c>memory.available&lt;100Mi</c>) or under a percentage of its capacity (<c>nodefs.available&lt;10%</c>).
/// </summary>
public sealed record EvictionThreshold(string Signal, ResourceQuantity? Quantity, decimal? Percentage)
{
    /// <summary>Memory the node has available.</summary>
    public const string MemoryAvailable = "memory.available";

    /// <summary>Free space on the filesystem of the data dir.</summary>
    public const string NodeFsAvailable = "nodefs.available";

    /// <summary>Free space where images are kept (containerd's root, under the data dir: the same filesystem).</summary>
    public const string ImageFsAvailable = "imagefs.available";

    /// <summary>Process IDs left.</summary>
    public const string PidAvailable = "pid.available";

    /// <summary>The kubelet's defaults on Linux (nodefs.inodesFree is not read here).</summary>
    public const string Defaults = "memory.available<100Mi,nodefs.available<10%,imagefs.available<15%";

    private static readonly string[] Signals = [MemoryAvailable, NodeFsAvailable, ImageFsAvailable, PidAvailable];

    /// <summary>Parses a comma-separated list, e.g. <see cref="Defaults"/>.</summary>
    /// <exception cref="FormatException">Not a list of <c>signal&lt;value</c>.</exception>
    public static IReadOnlyList<EvictionThreshold> ParseList(string text)
    {
        var thresholds = new List<EvictionThreshold>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] sides = part.Split('<', 2, StringSplitOptions.TrimEntries);
            if (sides.Length != 2 || !Signals.Contains(sides[0]))
            {
                throw new FormatException($"\"{part}\" is not <signal><<value> with a signal of {string.Join(", ", Signals)}");
            }

            if (sides[1].EndsWith('%'))
            {
                if (!decimal.TryParse(sides[1][..^1], NumberStyles.Number, CultureInfo.InvariantCulture, out decimal percent) || percent is < 0 or > 100)
                {
                    throw new FormatException($"\"{part}\": a percentage from 0% to 100%");
                }

                thresholds.Add(new EvictionThreshold(sides[0], null, percent));
            }
            else
            {
                thresholds.Add(new EvictionThreshold(sides[0], ReservedResources.ParseQuantity(part, sides[1]), null));
            }
        }

        return thresholds;
    }

    /// <summary>The threshold in the signal's units, for a signal whose capacity is <paramref name="capacity"/>.</summary>
    public long Amount(long capacity) => Quantity is { } q ? (long)q.ToDecimal() : (long)(capacity * Percentage!.Value / 100m);

    /// <summary>Whether the node is under this threshold now.</summary>
    public bool IsMet(NodeReadings readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        (long available, long capacity) = readings.Of(Signal);
        return available < Amount(capacity);
    }
}

/// <summary><c>--kube-reserved</c> / <c>--system-reserved</c>: <c>cpu=100m,memory=256Mi,ephemeral-storage=1Gi,pid=1000</c>.</summary>
public static class ReservedResources
{
    private static readonly string[] Names = ["cpu", "memory", "ephemeral-storage", "pid"];

    /// <summary>Parses the list; empty for an empty string.</summary>
    /// <exception cref="FormatException">A name that cannot be reserved, or a value that is not a quantity.</exception>
    public static IReadOnlyDictionary<string, ResourceQuantity> Parse(string text)
    {
        var reserved = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] sides = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (sides.Length != 2 || !Names.Contains(sides[0]))
            {
                throw new FormatException($"\"{part}\" is not <resource>=<quantity> with a resource of {string.Join(", ", Names)}");
            }

            reserved[sides[0]] = ParseQuantity(part, sides[1]);
        }

        return reserved;
    }

    /// <summary>A non-negative quantity, or a <see cref="FormatException"/> naming <paramref name="part"/>.</summary>
    internal static ResourceQuantity ParseQuantity(string part, string value)
    {
        try
        {
            var quantity = new ResourceQuantity(value);
            if (quantity.ToDecimal() < 0)
            {
                throw new FormatException($"\"{part}\": the quantity must not be negative");
            }

            return quantity;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException && e.Message.IndexOf(part, StringComparison.Ordinal) < 0)
        {
            throw new FormatException($"\"{part}\": \"{value}\" is not a quantity (e.g. 100m, 256Mi, 1Gi)", e);
        }
    }
}

/// <summary>Allocatable and the pressure conditions, computed as the kubelet does.</summary>
public static class NodeAllocatable
{
    /// <summary>
    /// capacity − kube-reserved − system-reserved − the hard eviction threshold (memory.available for memory,
    /// nodefs.available for ephemeral-storage), never below zero; other resources as their capacity.
    /// </summary>
    public static Dictionary<string, ResourceQuantity> Compute(
        IReadOnlyDictionary<string, ResourceQuantity> capacity,
        IReadOnlyDictionary<string, ResourceQuantity> kubeReserved,
        IReadOnlyDictionary<string, ResourceQuantity> systemReserved,
        IReadOnlyList<EvictionThreshold> evictionHard)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        var allocatable = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach ((string name, ResourceQuantity total) in capacity)
        {
            decimal value = total.ToDecimal() - Reserved(kubeReserved, name) - Reserved(systemReserved, name);
            string? signal = name switch
            {
                "memory" => EvictionThreshold.MemoryAvailable,
                "ephemeral-storage" => EvictionThreshold.NodeFsAvailable,
                _ => null,
            };
            if (signal is not null && evictionHard.FirstOrDefault(t => t.Signal == signal) is { } threshold)
            {
                value -= threshold.Amount((long)total.ToDecimal());
            }

            value = Math.Max(0, value);
            allocatable[name] = name switch
            {
                "cpu" => new ResourceQuantity($"{(long)Math.Floor(value * 1000)}m"),
                "memory" or "ephemeral-storage" => new ResourceQuantity($"{(long)value / 1024}Ki"),
                _ => new ResourceQuantity(((long)value).ToString(CultureInfo.InvariantCulture)),
            };
        }

        return allocatable;
    }

    /// <summary>MemoryPressure, DiskPressure and PIDPressure (status, reason, message) for <paramref name="readings"/>.</summary>
    public static IEnumerable<(string Type, bool Pressure, string Reason, string Message)> Pressure(NodeReadings readings, IReadOnlyList<EvictionThreshold> evictionHard)
    {
        ArgumentNullException.ThrowIfNull(evictionHard);
        bool Under(params string[] signals) => evictionHard.Any(t => signals.Contains(t.Signal) && t.IsMet(readings));
        bool memory = Under(EvictionThreshold.MemoryAvailable);
        bool disk = Under(EvictionThreshold.NodeFsAvailable, EvictionThreshold.ImageFsAvailable);
        bool pid = Under(EvictionThreshold.PidAvailable);
        yield return ("MemoryPressure", memory, memory ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory", memory ? "kubelet has insufficient memory available" : "kubelet has sufficient memory available");
        yield return ("DiskPressure", disk, disk ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure", disk ? "kubelet has disk pressure" : "kubelet has no disk pressure");
        yield return ("PIDPressure", pid, pid ? "KubeletHasInsufficientPID" : "KubeletHasSufficientPID", pid ? "kubelet has insufficient PID available" : "kubelet has sufficient PID available");
    }

    private static decimal Reserved(IReadOnlyDictionary<string, ResourceQuantity> reserved, string name) =>
        reserved.TryGetValue(name, out ResourceQuantity? q) ? q.ToDecimal() : 0;
}
