using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api.Cel;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// One CustomResourceDefinition version's <c>openAPIV3Schema</c> as apiextensions-apiserver's structural schema: what
/// the API server applies to a custom resource on every write — defaulting, pruning of unknown fields, and validation
/// (OpenAPI value validations and <c>x-kubernetes-validations</c> CEL rules). The custom resource REST calls it in that
/// order: <see cref="ApplyDefaults"/>, <see cref="Prune"/>, <see cref="Validate"/>.
/// </summary>
/// <remarks>
/// Precompiled once in <see cref="From"/> (typed nodes, regexes, CEL programs) and immutable after, so one instance per
/// CRD version can be cached and used by concurrent requests. The semantics live in SchemaDefaulter, SchemaPruner,
/// SchemaValueValidator and SchemaCelValidator.
/// </remarks>
public sealed class StructuralSchema
{
    private readonly SchemaNode? _root;

    private StructuralSchema(V1JSONSchemaProps? source)
    {
        Source = source;
        _root = source is null ? null : SchemaNode.From(source);
    }

    /// <summary>The schema as written in the CRD (null: the version has none).</summary>
    public V1JSONSchemaProps? Source { get; }

    /// <summary>The structural schema of one version's <c>schema.openAPIV3Schema</c>.</summary>
    public static StructuralSchema From(V1JSONSchemaProps? openApiV3Schema) => new(openApiV3Schema);

    /// <summary>Sets each absent field that has a <c>default</c> in the schema, in place.</summary>
    public void ApplyDefaults(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (_root is not null)
        {
            SchemaDefaulter.Apply(_root, obj, isRoot: true);
        }
    }

    /// <summary>
    /// Removes, in place, every field the schema does not specify (unless under <c>x-kubernetes-preserve-unknown-fields</c>),
    /// and returns their paths as kube-apiserver reports them for <c>fieldValidation=Strict|Warn</c> (e.g. "spec.foo").
    /// </summary>
    public IReadOnlyList<string> Prune(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (_root is null)
        {
            return [];
        }

        var pruned = new List<string>();
        SchemaPruner.Prune(_root, obj, "", isResource: true, pruned);
        return pruned;
    }

    /// <summary>
    /// The validation errors of <paramref name="obj"/> against the schema, with field paths as Kubernetes words them,
    /// including the <c>x-kubernetes-validations</c> rules (<paramref name="old"/> is <c>oldSelf</c>; null on create).
    /// </summary>
    public IReadOnlyList<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (_root is null)
        {
            return [];
        }

        var errors = new List<FieldError>();
        SchemaValueValidator.Validate(_root, obj, "", isRoot: true, errors);
        SchemaCelValidator.Validate(_root, obj, old, "", isRoot: true, new CelCostBudget(CelCostBudget.PerObjectLimit), errors);
        return errors;
    }
}
