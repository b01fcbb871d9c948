using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 ServiceAccount.</summary>
internal static class ServiceAccountStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1ServiceAccount> Create() => new()
    {
        Columns = [new("Secrets", "string", "", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), TableColumn.AgeColumn],
        Cells = (s, now) => [s.Secrets?.Count ?? 0, Age.Of(s.Metadata.CreationTimestamp, now)],
    };
}
