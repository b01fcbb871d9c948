using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 ConfigMap.</summary>
internal static class ConfigMapStrategy
{
    /// <summary>The strategy: valid keys in data and binaryData, which stay fixed once immutable.</summary>
    public static ResourceStrategy<V1ConfigMap> Create() => new()
    {
        Validation = c => ConfigDataValidation.Keys(c.Data?.Keys.Concat(c.BinaryData?.Keys ?? []), "data"),
        UpdateValidation = (c, old) => ConfigDataValidation.Immutable(old.Immutable, () => KubernetesSerialization.JsonEquals(c.Data, old.Data) && KubernetesSerialization.JsonEquals(c.BinaryData, old.BinaryData)),
        Columns = [new("Data", "string", "", "Number of data entries"), TableColumn.AgeColumn],
        Cells = (c, now) => [(c.Data?.Count ?? 0) + (c.BinaryData?.Count ?? 0), Age.Of(c.Metadata.CreationTimestamp, now)],
    };
}
