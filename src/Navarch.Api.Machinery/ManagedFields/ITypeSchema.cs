using System.Text.Json.Nodes;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// What server-side apply needs to know of a type at one place in an object (structured-merge-diff's schema): how its
/// lists and maps merge. Built-in kinds answer from <see cref="BuiltInTypeSchema"/>; a custom resource from its CRD's
/// schema (<see cref="JsonSchemaPropsTypeSchema"/>).
/// </summary>
public interface ITypeSchema
{
    /// <summary>The schema of the field (or map entry) <paramref name="name"/> of this object.</summary>
    ITypeSchema Field(string name);

    /// <summary>The schema of this list's items.</summary>
    ITypeSchema Items { get; }

    /// <summary>How this list merges (<c>x-kubernetes-list-type</c>; atomic when unsaid).</summary>
    ListType ListType { get; }

    /// <summary>The key fields of a <see cref="ListType.Map"/> list (<c>x-kubernetes-list-map-keys</c>).</summary>
    IReadOnlyList<string> ListMapKeys { get; }

    /// <summary>Whether this map or struct is replaced and owned as a whole (<c>x-kubernetes-map-type: atomic</c>).</summary>
    bool IsAtomicMap { get; }

    /// <summary>The default of a list-map key field of this list's items, for items that leave it out; null for none.</summary>
    JsonNode? KeyDefault(string key);
}
