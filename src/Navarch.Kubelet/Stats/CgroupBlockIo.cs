using System.Globalization;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// A container cgroup's block I/O per device, as cAdvisor reads it for <c>container_fs_reads_bytes_total</c> and its
/// siblings: cgroup v2's <c>io.stat</c>, or v1's <c>blkio.throttle.io_service_bytes</c> and
/// <c>blkio.throttle.io_serviced</c> (what every v1 kernel counts, whatever the I/O scheduler). Devices are named from
/// <c>/sys/dev/block/&lt;major&gt;:&lt;minor&gt;/uevent</c> as <c>/dev/&lt;DEVNAME&gt;</c>.
/// </summary>
internal static class CgroupBlockIo
{
    /// <summary>
    /// The I/O of the cgroup at <paramref name="cgroup"/> (e.g. <c>/k8s.io/&lt;id&gt;</c>, relative to the hierarchy's
    /// root under /sys/fs/cgroup); none when no file can be read.
    /// </summary>
    public static IReadOnlyList<BlockDeviceIo> Read(string cgroup, Func<string, string?> readFile)
    {
        if (readFile($"/sys/fs/cgroup{cgroup}/io.stat") is { } ioStat)
        {
            return ParseIoStat(ioStat, (major, minor) => DeviceName(major, minor, readFile));
        }

        return readFile($"/sys/fs/cgroup/blkio{cgroup}/blkio.throttle.io_service_bytes") is { } bytes
            && readFile($"/sys/fs/cgroup/blkio{cgroup}/blkio.throttle.io_serviced") is { } serviced
            ? ParseBlkio(bytes, serviced, (major, minor) => DeviceName(major, minor, readFile))
            : [];
    }

    /// <summary>cgroup v2: "<c>8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0</c>" per device.</summary>
    public static IReadOnlyList<BlockDeviceIo> ParseIoStat(string text, Func<string, string, string> device)
    {
        var devices = new List<BlockDeviceIo>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || MajorMinor(fields[0]) is not { } key)
            {
                continue;
            }

            Dictionary<string, ulong> values = fields.Skip(1)
                .Select(f => f.Split('=', 2))
                .Where(kv => kv.Length == 2)
                .ToDictionary(kv => kv[0], kv => ulong.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : 0, StringComparer.Ordinal);
            devices.Add(new BlockDeviceIo(device(key.Major, key.Minor), values.GetValueOrDefault("rbytes"), values.GetValueOrDefault("wbytes"), values.GetValueOrDefault("rios"), values.GetValueOrDefault("wios")));
        }

        return devices;
    }

    /// <summary>cgroup v1: "<c>8:0 Read 4096</c>", "<c>8:0 Write 0</c>", ... per device in each file, then "<c>Total n</c>".</summary>
    public static IReadOnlyList<BlockDeviceIo> ParseBlkio(string serviceBytes, string serviced, Func<string, string, string> device)
    {
        Dictionary<(string, string), (ulong Read, ulong Write)> bytes = Operations(serviceBytes);
        Dictionary<(string, string), (ulong Read, ulong Write)> ios = Operations(serviced);
        return [.. bytes.Keys.Union(ios.Keys).Order().Select(d =>
        {
            (ulong readBytes, ulong writeBytes) = bytes.GetValueOrDefault(d);
            (ulong reads, ulong writes) = ios.GetValueOrDefault(d);
            return new BlockDeviceIo(device(d.Item1, d.Item2), readBytes, writeBytes, reads, writes);
        })];
    }

    private static Dictionary<(string, string), (ulong Read, ulong Write)> Operations(string text)
    {
        var devices = new Dictionary<(string, string), (ulong Read, ulong Write)>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 3 || MajorMinor(fields[0]) is not { } key || !ulong.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            {
                continue;
            }

            (ulong read, ulong write) = devices.GetValueOrDefault(key);
            devices[key] = fields[1] switch
            {
                "Read" => (value, write),
                "Write" => (read, value),
                _ => (read, write),
            };
        }

        return devices;
    }

    private static (string Major, string Minor)? MajorMinor(string field) =>
        field.Split(':') is [var major, var minor] && major.All(char.IsAsciiDigit) && minor.All(char.IsAsciiDigit) && major.Length > 0 && minor.Length > 0 ? (major, minor) : null;

    /// <summary><c>/dev/&lt;DEVNAME&gt;</c> of the block device, or "major:minor" when the kernel does not say.</summary>
    private static string DeviceName(string major, string minor, Func<string, string?> readFile) =>
        readFile($"/sys/dev/block/{major}:{minor}/uevent")?.Split('\n').FirstOrDefault(l => l.StartsWith("DEVNAME=", StringComparison.Ordinal)) is { } name
            ? "/dev/" + name["DEVNAME=".Length..].Trim()
            : $"{major}:{minor}";
}
