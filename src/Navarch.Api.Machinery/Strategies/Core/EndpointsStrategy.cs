using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 Endpoints.</summary>
internal static class EndpointsStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Endpoints> Create() => new()
    {
        Defaults = e =>
        {
            foreach (Corev1EndpointPort port in (e.Subsets ?? []).SelectMany(s => s.Ports ?? []))
            {
                port.Protocol ??= "TCP";
            }
        },
        Validation = EndpointsValidation.Validate,
        Columns = [new("Endpoints", "string", "", "Endpoints of the service"), TableColumn.AgeColumn],
        Cells = (e, now) => [FormatEndpoints(e), Age.Of(e.Metadata.CreationTimestamp, now)],
    };

    private static string FormatEndpoints(V1Endpoints e)
    {
        var all = (e.Subsets ?? []).SelectMany(s => (s.Addresses ?? []).SelectMany(a => (s.Ports is { Count: > 0 } ports ? ports.Select(p => $"{a.Ip}:{p.Port}") : [a.Ip]))).ToList();
        return all.Count == 0 ? "<none>" : all.Count > 3 ? string.Join(",", all.Take(3)) + $" + {all.Count - 3} more..." : string.Join(",", all);
    }
}
