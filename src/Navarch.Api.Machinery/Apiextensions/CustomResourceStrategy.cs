using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api.Strategies;
using Navarch.Api.Validation;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// The strategy of one served version of a custom resource (apiextensions-apiserver's customResourceStrategy, status
/// strategy and table convertor): metadata validation, the spec/status split when the status subresource is on,
/// generation bumped on changes outside metadata (and status), the version's structural schema (defaults, pruning,
/// validation), its selectable fields and printer columns.
/// </summary>
public sealed class CustomResourceStrategy : IResourceStrategy
{
    private static readonly CustomResourceJsonPath CreationTimestamp = CustomResourceJsonPath.Parse(".metadata.creationTimestamp");

    private readonly IReadOnlyList<(V1CustomResourceColumnDefinition Column, CustomResourceJsonPath? Path)> _columns;
    private readonly IReadOnlyList<(string Field, CustomResourceJsonPath Path)> _fields;

    /// <summary>The strategy of <paramref name="version"/> of <paramref name="crd"/> (its <paramref name="schema"/> when already compiled).</summary>
    public CustomResourceStrategy(V1CustomResourceDefinition crd, V1CustomResourceDefinitionVersion version, StructuralSchema? schema = null)
    {
        ArgumentNullException.ThrowIfNull(crd);
        ArgumentNullException.ThrowIfNull(version);
        Schema = schema ?? StructuralSchema.From(version.Schema?.OpenAPIV3Schema);
        HasStatus = version.Subresources?.Status is not null;
        Scale = version.Subresources?.Scale;
        Deprecated = version.Deprecated == true;
        DeprecationWarning = Deprecated ? version.DeprecationWarning ?? DefaultDeprecationWarning(crd, version.Name) : null;
        IList<V1CustomResourceColumnDefinition>? printerColumns = version.AdditionalPrinterColumns;
        _columns = printerColumns is { Count: > 0 }
            ? printerColumns.Select(c => (c, CustomResourceJsonPath.IsValid(c.JsonPath) ? CustomResourceJsonPath.Parse(c.JsonPath) : null)).ToList()
            : [(new V1CustomResourceColumnDefinition { Name = "Age", Type = "date", JsonPath = ".metadata.creationTimestamp", Description = TableColumn.AgeColumn.Description }, CreationTimestamp)];
        TableColumns = [TableColumn.NameColumn, .. _columns.Select(c => new TableColumn(c.Column.Name, c.Column.Type, c.Column.Format ?? "", c.Column.Description ?? "", c.Column.Priority ?? 0))];
        _fields = (version.SelectableFields ?? []).Where(f => CustomResourceJsonPath.IsValid(f.JsonPath))
            .Select(f => (f.JsonPath.TrimStart('.'), CustomResourceJsonPath.Parse(f.JsonPath))).ToList();
    }

    /// <summary>The version's structural schema.</summary>
    public StructuralSchema Schema { get; }

    /// <summary>Whether the status subresource is on.</summary>
    public bool HasStatus { get; }

    /// <summary>The scale subresource's paths, or null when it is off.</summary>
    public V1CustomResourceSubresourceScale? Scale { get; }

    /// <summary>Whether the version is deprecated.</summary>
    public bool Deprecated { get; }

    /// <summary>The warning every request to a deprecated version carries (the CRD's, or Kubernetes' default text).</summary>
    public string? DeprecationWarning { get; }

    /// <inheritdoc />
    public IReadOnlyList<TableColumn> TableColumns { get; }

    /// <summary>
    /// The schema's defaults, then pruning (as apiextensions-apiserver's decoder does): the paths of the unknown fields
    /// dropped, for <c>fieldValidation</c> Strict and Warn.
    /// </summary>
    public IReadOnlyList<string> DefaultAndPrune(CustomResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        Schema.ApplyDefaults(resource.Content);
        return Schema.Prune(resource.Content);
    }

    /// <inheritdoc />
    public void PrepareForCreate(IKubernetesObject<V1ObjectMeta> obj)
    {
        var resource = (CustomResource)obj;
        if (HasStatus)
        {
            resource.Content.Remove("status");
        }

        resource.Metadata.Generation = 1;
        ObjectMetaEmpties.Drop(resource.Metadata);
    }

    /// <inheritdoc />
    public void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old)
    {
        var resource = (CustomResource)obj;
        var previous = (CustomResource)old;
        if (HasStatus)
        {
            // The main resource ignores status changes: /status is where they are made.
            resource.Content.Remove("status");
            if (previous.Content["status"] is { } status)
            {
                resource.Content["status"] = status.DeepClone();
            }
        }

        long generation = previous.Metadata.Generation ?? 1;
        resource.Metadata.Generation = JsonNode.DeepEquals(resource.Content, previous.Content) ? generation : generation + 1;
        ObjectMetaEmpties.Drop(resource.Metadata);
    }

    /// <inheritdoc />
    public void PrepareForStatusUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old)
    {
        // As the status strategy: the stored object with only the new status (metadata included).
        var resource = (CustomResource)obj;
        var previous = (CustomResource)old;
        JsonNode? status = resource.Content["status"];
        resource.Content.Remove("status");
        var content = (JsonObject)previous.Content.DeepClone();
        content.Remove("status");
        if (status is not null)
        {
            content["status"] = status.DeepClone();
        }

        resource.Content = content;
        string? resourceVersion = resource.Metadata.ResourceVersion;
        resource.Metadata = JsonSerializer.Deserialize<V1ObjectMeta>(JsonSerializer.SerializeToUtf8Bytes(previous.Metadata, KubernetesSerialization.Options), KubernetesSerialization.Options)!;
        resource.Metadata.ResourceVersion = resourceVersion;
    }

    /// <inheritdoc />
    public void Default(IKubernetesObject<V1ObjectMeta> obj) => DefaultAndPrune((CustomResource)obj);

    /// <inheritdoc />
    public IReadOnlyList<FieldError> Validate(IKubernetesObject<V1ObjectMeta> obj) => Errors((CustomResource)obj, null);

    /// <inheritdoc />
    public IReadOnlyList<FieldError> ValidateUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old) =>
        Errors((CustomResource)obj, (CustomResource)old);

    /// <inheritdoc />
    public IReadOnlyList<FieldError> ValidateStatusUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old) =>
        Errors((CustomResource)obj, (CustomResource)old);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> SelectableFields(IKubernetesObject<V1ObjectMeta> obj)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["metadata.name"] = obj.Metadata.Name ?? "" };
        if (obj.Metadata.NamespaceProperty is { } ns)
        {
            fields["metadata.namespace"] = ns;
        }

        foreach ((string field, CustomResourceJsonPath path) in _fields)
        {
            // An absent field selects as the empty string, as for built-in kinds.
            fields[field] = obj is CustomResource resource && path.Find(resource) is [JsonValue value, ..] ? CustomResourceJsonPath.Print(value) : "";
        }

        return fields;
    }

    /// <inheritdoc />
    public IReadOnlyList<object?> TableRow(IKubernetesObject<V1ObjectMeta> obj, DateTimeOffset now)
    {
        var resource = (CustomResource)obj;
        var row = new List<object?>(_columns.Count + 1) { obj.Metadata.Name };
        foreach ((V1CustomResourceColumnDefinition column, CustomResourceJsonPath? path) in _columns)
        {
            row.Add(path?.Find(resource) is [JsonNode value, ..] ? Cell(column.Type, value, now) : null);
        }

        return row;
    }

    /// <summary>A cell of a printer column's type (the table convertor's cellForJSONValue); a value of another type is empty.</summary>
    private static object? Cell(string type, JsonNode value, DateTimeOffset now)
    {
        JsonValueKind kind = value.GetValueKind();
        switch (type)
        {
            case "integer" when kind == JsonValueKind.Number:
                double d = value.GetValue<double>();
                return Math.Floor(d) == d ? (long)d : null;
            case "number" when kind == JsonValueKind.Number:
                return value.GetValue<double>();
            case "boolean" when kind is JsonValueKind.True or JsonValueKind.False:
                return value.GetValue<bool>();
            case "date" when kind == JsonValueKind.String:
                return DateTimeOffset.TryParse(value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t)
                    ? Age.Of(t.UtcDateTime, now)
                    : null;
            case "string":
                return CustomResourceJsonPath.Print(value);
            default:
                return null;
        }
    }

    private List<FieldError> Errors(CustomResource resource, CustomResource? old)
    {
        var errors = new List<FieldError>(MetadataValidation.Validate(resource.Metadata, NameRule.Subdomain));
        if (Schema.Source is not null)
        {
            errors.AddRange(Schema.Validate(Whole(resource), old is null ? null : Whole(old)));
        }

        return errors;
    }

    /// <summary>The object as one JSON document, as the schema and its rules see it.</summary>
    private static JsonObject Whole(CustomResource resource) =>
        (JsonObject)JsonSerializer.SerializeToNode(resource, KubernetesSerialization.Options)!;

    /// <summary>
    /// apiextensions-apiserver's default text: "&lt;group&gt;/&lt;version&gt; &lt;Kind&gt; is deprecated", with "; use
    /// &lt;group&gt;/&lt;version&gt; &lt;Kind&gt;" naming the most preferred served, non-deprecated version above it.
    /// </summary>
    private static string DefaultDeprecationWarning(V1CustomResourceDefinition crd, string deprecated)
    {
        string group = crd.Spec.Group, kind = crd.Spec.Names.Kind;
        string text = $"{group}/{deprecated} {kind} is deprecated";
        V1CustomResourceDefinitionVersion? instead = crd.Spec.Versions
            .Where(v => v.Served && v.Deprecated != true && KubeAwareVersions.Compare(v.Name, deprecated) > 0)
            .OrderByDescending(v => v.Name, KubeAwareVersions.Comparer)
            .FirstOrDefault();
        return instead is null ? text : $"{text}; use {group}/{instead.Name} {kind}";
    }
}
