using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// A custom resource's type schema: its CRD's <c>openAPIV3Schema</c> for the content, and ObjectMeta's merge rules for
/// <c>metadata</c> (a CRD's schema says nothing of them: finalizers are a set, owner references keyed by uid), as
/// apiextensions-apiserver joins the two.
/// </summary>
public sealed class CustomResourceTypeSchema(V1JSONSchemaProps? schema) : ITypeSchema
{
    private readonly JsonSchemaPropsTypeSchema _content = new(schema);

    /// <inheritdoc/>
    public ITypeSchema Field(string name) => name == "metadata" ? BuiltInTypeSchema.Root.Field(name) : _content.Field(name);

    /// <inheritdoc/>
    public ITypeSchema Items => _content.Items;

    /// <inheritdoc/>
    public ListType ListType => _content.ListType;

    /// <inheritdoc/>
    public IReadOnlyList<string> ListMapKeys => _content.ListMapKeys;

    /// <inheritdoc/>
    public bool IsAtomicMap => _content.IsAtomicMap;

    /// <inheritdoc/>
    public JsonNode? KeyDefault(string key) => _content.KeyDefault(key);
}
