using System.Globalization;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// A network namespace's interface counters from <c>/proc/&lt;pid&gt;/net/dev</c> of a process in it (the pod sandbox's
/// pause process), as cAdvisor reads them, leaving out the interfaces cAdvisor ignores (<c>lo</c>, <c>veth*</c>,
/// <c>docker*</c>, <c>nerdctl*</c>).
/// </summary>
internal static class NetDev
{
    private static readonly string[] IgnoredPrefixes = ["lo", "veth", "docker", "nerdctl"];

    /// <summary>The interfaces of the namespace <paramref name="pid"/> is in; none when it cannot be read (the process gone).</summary>
    public static IReadOnlyList<InterfaceStats> Read(int pid, Func<string, string?> readFile) =>
        readFile($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/net/dev") is { } text ? Parse(text) : [];

    /// <summary>
    /// Parses the file: two header lines, then "<c>name: rx bytes packets errs drop fifo frame compressed multicast tx
    /// bytes packets errs drop fifo colls carrier compressed</c>".
    /// </summary>
    public static IReadOnlyList<InterfaceStats> Parse(string text)
    {
        var interfaces = new List<InterfaceStats>();
        foreach (string line in text.Split('\n').Skip(2))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            string name = line[..colon].Trim();
            string[] fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 16 || IgnoredPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                continue;
            }

            ulong Field(int i) => ulong.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) ? value : 0;
            interfaces.Add(new InterfaceStats(name, Field(0), Field(1), Field(2), Field(3), Field(8), Field(9), Field(10), Field(11)));
        }

        return interfaces;
    }
}
