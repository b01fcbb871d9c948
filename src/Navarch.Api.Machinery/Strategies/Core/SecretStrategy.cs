using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 Secret.</summary>
internal static class SecretStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Secret> Create() => new()
    {
        Defaults = s =>
        {
            if (string.IsNullOrEmpty(s.Type))
            {
                s.Type = "Opaque";
            }

            // stringData is write-only: merged into data (its values win) and never stored, as Kubernetes converts it.
            if (s.StringData is { Count: > 0 })
            {
                s.Data ??= new Dictionary<string, byte[]>();
                foreach (KeyValuePair<string, string> kv in s.StringData)
                {
                    s.Data[kv.Key] = System.Text.Encoding.UTF8.GetBytes(kv.Value ?? "");
                }
            }

            s.StringData = null;
        },
        Validation = SecretValidation.Validate,
        UpdateValidation = SecretValidation.ValidateUpdate,
        Fields = s => [new("type", s.Type ?? "")],
        Columns = [new("Type", "string", "", "The type of the secret"), new("Data", "string", "", "Number of data entries"), TableColumn.AgeColumn],
        Cells = (s, now) => [s.Type, s.Data?.Count ?? 0, Age.Of(s.Metadata.CreationTimestamp, now)],
    };
}
