using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 ComponentStatus: computed by the API server on every read, never written; its Table columns.</summary>
internal static class ComponentStatusStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1ComponentStatus> Create() => new()
    {
        Columns =
        [
            new("Status", "string", "", "Status of the component conditions"),
            new("Message", "string", "", "Message of the component conditions"),
            new("Error", "string", "", "Error of the component conditions"),
        ],
        Cells = (c, _) =>
        [
            c.Conditions?.FirstOrDefault(x => x.Type == "Healthy") is { } healthy ? (healthy.Status == "True" ? "Healthy" : "Unhealthy") : "Unknown",
            string.Join(",", c.Conditions?.Select(x => x.Message).Where(m => !string.IsNullOrEmpty(m)) ?? []),
            string.Join(",", c.Conditions?.Select(x => x.Error).Where(m => !string.IsNullOrEmpty(m)) ?? []),
        ],
    };
}
