using System.Text.Json.Nodes;
using Navarch.Api.Patch;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// The type schema of every built-in kind, from <see cref="BuiltInFields"/> by field name (the name of the field and of
/// the one holding it: container ports and Service ports share the name <c>ports</c> with different keys). Lists without
/// a marker are atomic, as the OpenAPI of the built-in types says.
/// </summary>
public sealed class BuiltInTypeSchema : ITypeSchema
{
    private readonly string? fieldName;
    private readonly string? parent;

    private BuiltInTypeSchema(string? fieldName, string? parent)
    {
        this.fieldName = fieldName;
        this.parent = parent;
    }

    /// <summary>The schema at the root of a built-in object.</summary>
    public static BuiltInTypeSchema Root { get; } = new(null, null);

    /// <inheritdoc/>
    public ITypeSchema Field(string name) => new BuiltInTypeSchema(name, fieldName);

    /// <inheritdoc/>
    public ITypeSchema Items => this;

    /// <inheritdoc/>
    public ListType ListType => fieldName is null ? ListType.Atomic
        : BuiltInFields.PrimitiveMergeLists.Contains(fieldName) ? ListType.Set
        : BuiltInFields.MergeKeys.ContainsKey(fieldName) ? ListType.Map
        : ListType.Atomic;

    /// <inheritdoc/>
    public IReadOnlyList<string> ListMapKeys => fieldName switch
    {
        null => [],
        "ports" when parent is not ("containers" or "initContainers" or "ephemeralContainers") => BuiltInFields.ServicePortKeys,
        _ when BuiltInFields.ListMapKeys.TryGetValue(fieldName, out string[]? keys) => keys,
        _ when BuiltInFields.MergeKeys.TryGetValue(fieldName, out string[]? keys) => [keys[0]],
        _ => [],
    };

    /// <inheritdoc/>
    public bool IsAtomicMap => fieldName is not null && BuiltInFields.AtomicMaps.Contains(fieldName);

    /// <inheritdoc/>
    public JsonNode? KeyDefault(string key) => BuiltInFields.ListMapKeyDefaults.TryGetValue(key, out string? value) ? JsonValue.Create(value) : null;
}
