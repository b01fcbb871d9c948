using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// The type schema of a custom resource, read from its CRD version's <c>openAPIV3Schema</c>: <c>properties</c> and
/// <c>additionalProperties</c> for fields, <c>items</c> for list items, <c>x-kubernetes-list-type</c>,
/// <c>x-kubernetes-list-map-keys</c> and <c>x-kubernetes-map-type</c>, and the <c>default</c> of key fields.
/// </summary>
public sealed class JsonSchemaPropsTypeSchema(V1JSONSchemaProps? props) : ITypeSchema
{
    /// <inheritdoc/>
    public ITypeSchema Field(string name) => new JsonSchemaPropsTypeSchema(
        props?.Properties is { } properties && properties.TryGetValue(name, out V1JSONSchemaProps? p) ? p : props?.AdditionalProperties as V1JSONSchemaProps);

    /// <inheritdoc/>
    public ITypeSchema Items => new JsonSchemaPropsTypeSchema(props?.Items as V1JSONSchemaProps);

    /// <inheritdoc/>
    public ListType ListType => props?.XKubernetesListType switch
    {
        "set" => ListType.Set,
        "map" => ListType.Map,
        _ => ListType.Atomic,
    };

    /// <inheritdoc/>
    public IReadOnlyList<string> ListMapKeys => props?.XKubernetesListMapKeys?.ToList() ?? [];

    /// <inheritdoc/>
    public bool IsAtomicMap => props?.XKubernetesMapType == "atomic";

    /// <inheritdoc/>
    public JsonNode? KeyDefault(string key) =>
        (props?.Items as V1JSONSchemaProps)?.Properties is { } properties && properties.TryGetValue(key, out V1JSONSchemaProps? p) && p.DefaultProperty is { } d
            ? JsonSerializer.SerializeToNode(d)
            : null;
}
