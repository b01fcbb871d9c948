using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 ConfigMap.</summary>
internal static class ConfigMapStrategy
{
    /// <summary>The strategy: valid keys in data and binaryData, at most 1 MiB of values in all, fixed once immutable.</summary>
    public static ResourceStrategy<V1ConfigMap> Create() => new()
    {
        Validation = Validate,
        UpdateValidation = (c, old) => ConfigDataValidation.Immutable(old.Immutable, () => KubernetesSerialization.JsonEquals(c.Data, old.Data) && KubernetesSerialization.JsonEquals(c.BinaryData, old.BinaryData)),
        Columns = [new("Data", "string", "", "Number of data entries"), TableColumn.AgeColumn],
        Cells = (c, now) => [(c.Data?.Count ?? 0) + (c.BinaryData?.Count ?? 0), Age.Of(c.Metadata.CreationTimestamp, now)],
    };

    /// <summary>
    /// ValidateConfigMap: valid keys, and the UTF-8 bytes of data's values plus binaryData's at most 1 MiB (reported, as
    /// Kubernetes does, against the whole object: <c>[]: Too long: must have at most 1048576 bytes</c>).
    /// </summary>
    private static IEnumerable<FieldError> Validate(V1ConfigMap c)
    {
        foreach (FieldError error in ConfigDataValidation.Keys(c.Data?.Keys.Concat(c.BinaryData?.Keys ?? []), "data"))
        {
            yield return error;
        }

        long size = (c.Data?.Values.Sum(v => (long)System.Text.Encoding.UTF8.GetByteCount(v ?? "")) ?? 0) + (c.BinaryData?.Values.Sum(v => (long)(v?.Length ?? 0)) ?? 0);
        if (ConfigDataValidation.TooLong(size, "[]") is { } tooLong)
        {
            yield return tooLong;
        }
    }
}
