using k8s.Models;
using Navarch.Api.Metrics;

namespace Navarch.Api.Strategies.Metrics;

/// <summary>metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics: read-only, with metrics-server's CPU, MEMORY and WINDOW columns.</summary>
internal static class ResourceMetricsStrategy
{
    private static readonly TableColumn[] Columns =
    [
        new("CPU", "string", "", "CPU usage"),
        new("Memory", "string", "", "Memory usage"),
        new("Window", "string", "", "Time window of the usage"),
    ];

    /// <summary>The NodeMetrics strategy.</summary>
    public static ResourceStrategy<V1beta1NodeMetrics> Nodes() => new()
    {
        Columns = Columns,
        Cells = (m, _) => [Usage(m.Usage, "cpu"), Usage(m.Usage, "memory"), m.Window ?? ""],
    };

    /// <summary>The PodMetrics strategy: the pod's usage is its containers' summed.</summary>
    public static ResourceStrategy<V1beta1PodMetrics> Pods() => new()
    {
        Columns = Columns,
        Cells = (m, _) => [Sum(m, "cpu"), Sum(m, "memory"), m.Window ?? ""],
    };

    private static string Usage(IDictionary<string, ResourceQuantity>? usage, string resource) =>
        usage?.TryGetValue(resource, out ResourceQuantity? q) == true && q is not null ? q.ToString() : "";

    private static string Sum(V1beta1PodMetrics m, string resource)
    {
        decimal total = m.Containers.Sum(c => c.Usage.TryGetValue(resource, out ResourceQuantity? q) && q is not null ? q.ToDecimal() : 0m);
        return new ResourceQuantity(total, 0, resource == "memory" ? ResourceQuantity.SuffixFormat.BinarySI : ResourceQuantity.SuffixFormat.DecimalSI).ToString();
    }
}
