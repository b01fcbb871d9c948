using System.Globalization;
using k8s.Models;
using Navarch.ApiServer.ResourceMetrics;

namespace Navarch.ApiServer.Registry.Metrics;

/// <summary>Usage as metrics-server writes it: CPU in nanocores (<c>123456n</c>), memory in kibibytes (<c>2048Ki</c>), the window as a Go duration.</summary>
internal static class ResourceMetricsQuantities
{
    public static Dictionary<string, ResourceQuantity> Usage(long nanoCores, long workingSetBytes) => new(StringComparer.Ordinal)
    {
        ["cpu"] = new ResourceQuantity(nanoCores.ToString(CultureInfo.InvariantCulture) + "n"),
        ["memory"] = new ResourceQuantity((workingSetBytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"),
    };

    public static string Window(TimeSpan window) => window.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    public static V1ObjectMeta Meta(string name, string? ns, IDictionary<string, string>? labels, DateTimeOffset now) =>
        new() { Name = name, NamespaceProperty = ns, Labels = labels, CreationTimestamp = now.UtcDateTime };

    public static DateTime Timestamp(ContainerUsage usage) => usage.Timestamp.UtcDateTime;
}
