using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// One custom resource, untyped as apiextensions-apiserver's <c>unstructured.Unstructured</c>: apiVersion, kind and
/// metadata as the server's machinery reads them (the store, watch cache, garbage collector and admission see an
/// <see cref="IKubernetesObject{V1ObjectMeta}"/> like any other), and every other top-level field — spec, status,
/// whatever the schema allows — kept as JSON in <see cref="Content"/>.
/// </summary>
[JsonConverter(typeof(CustomResourceJsonConverter))]
public sealed class CustomResource : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc />
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The top-level fields other than apiVersion, kind and metadata.</summary>
    public JsonObject Content { get; set; } = [];

    /// <summary>The same object under another apiVersion, sharing its metadata and content (conversion None).</summary>
    public CustomResource WithApiVersion(string apiVersion) => new() { ApiVersion = apiVersion, Kind = Kind, Metadata = Metadata, Content = Content };
}
