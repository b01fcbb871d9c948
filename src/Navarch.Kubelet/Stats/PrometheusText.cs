using System.Globalization;
using System.Text;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// The Prometheus text exposition format (0.0.4) as the kubelet's hand-collected endpoints (<c>/metrics/resource</c>,
/// <c>/metrics/cadvisor</c>) write it: a family's HELP and TYPE, then its samples, each optionally stamped with the time
/// it was read.
/// </summary>
internal static class PrometheusText
{
    /// <summary>Writes a family with its samples (each "<c>{labels} value [ms]</c>"); nothing when it has none.</summary>
    public static void Family(StringBuilder text, string name, string type, string help, IReadOnlyList<string> samples)
    {
        if (samples.Count == 0)
        {
            return;
        }

        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (string sample in samples)
        {
            text.Append(name).Append(sample).Append('\n');
        }
    }

    /// <summary>A sample's labels, value and (in milliseconds since the epoch) the time it was read.</summary>
    public static string Sample(string labels, double value, DateTime? time) =>
        labels + " " + value.ToString("R", CultureInfo.InvariantCulture)
        + (time is { } at ? " " + new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>A label value escaped as the format requires (backslash, quote, newline).</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
