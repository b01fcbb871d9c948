using System.Text.Json.Serialization;

namespace Navarch.Api;

/// <summary>
/// A column of a server-side table (<c>meta.k8s.io/v1 TableColumnDefinition</c>; KubernetesClient has no model for
/// Table). <see cref="Priority"/> 0 columns always show; 1 only with <c>kubectl get -o wide</c>.
/// </summary>
public sealed record TableColumn(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("priority")] int Priority = 0)
{
    /// <summary>The NAME column every table starts with.</summary>
    public static TableColumn NameColumn { get; } = new("Name", "string", "name", "Name must be unique within a namespace.");

    /// <summary>The AGE column.</summary>
    public static TableColumn AgeColumn { get; } = new("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.");
}
