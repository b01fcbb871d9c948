using System.Reflection;
using k8s;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies;

/// <summary>
/// The strategy every resource starts from: metadata validation, the spec/status split of resources with a
/// status subresource, generation bumps on spec changes, and a NAME/AGE table. Per-kind behaviour (defaults,
/// validation, table columns, selectable fields) plugs in through the init properties, so a resource is a
/// declaration, not a subclass.
/// </summary>
/// <typeparam name="T">The k8s.Models type.</typeparam>
public sealed class ResourceStrategy<T> : IResourceStrategy
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly PropertyInfo? SpecProperty = typeof(T).GetProperty("Spec");
    private static readonly PropertyInfo? StatusProperty = typeof(T).GetProperty("Status");

    /// <summary>True when the resource has a /status subresource: status is ignored on main writes and vice versa.</summary>
    public bool HasStatus { get; init; }

    /// <summary>Which name rule applies: DNS-1123 subdomain (most kinds), label (namespaces, services), or path segment (RBAC).</summary>
    public NameRule NameRule { get; init; } = NameRule.Subdomain;

    /// <summary>Fills Kubernetes' defaults.</summary>
    public Action<T>? Defaults { get; init; }

    /// <summary>Kind-specific validation of a new object (metadata is validated for every kind).</summary>
    public Func<T, IEnumerable<FieldError>>? Validation { get; init; }

    /// <summary>Kind-specific validation of an update (e.g. immutable fields).</summary>
    public Func<T, T, IEnumerable<FieldError>>? UpdateValidation { get; init; }

    /// <summary>Extra selectable fields beyond metadata.name and metadata.namespace.</summary>
    public Func<T, IEnumerable<KeyValuePair<string, string>>>? Fields { get; init; }

    /// <summary>Extra work on create (e.g. a Job's generated selector), after defaulting decisions that need the uid.</summary>
    public Action<T>? OnCreate { get; init; }

    /// <summary>
    /// Extra work on a main-resource update, first, with the stored object (e.g. a CertificateSigningRequest's spec is
    /// immutable: the stored one is kept, as its PrepareForUpdate does).
    /// </summary>
    public Action<T, T>? OnUpdate { get; init; }

    /// <summary>Table columns after NAME; by default only AGE.</summary>
    public IReadOnlyList<TableColumn> Columns { get; init; } = [TableColumn.AgeColumn];

    /// <summary>The NAME cell when it is more than the name (a default StorageClass's "name (default)").</summary>
    public Func<T, string>? NameCell { get; init; }

    /// <summary>The cells after NAME, matching <see cref="Columns"/>.</summary>
    public Func<T, DateTimeOffset, IEnumerable<object?>>? Cells { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<TableColumn> TableColumns => field ??= [TableColumn.NameColumn, .. Columns];

    /// <inheritdoc />
    public void PrepareForCreate(IKubernetesObject<V1ObjectMeta> obj)
    {
        var typed = (T)obj;
        if (HasStatus)
        {
            StatusProperty?.SetValue(typed, null);
        }

        if (SpecProperty is not null)
        {
            typed.Metadata.Generation = 1;
        }

        OnCreate?.Invoke(typed);
        ObjectMetaEmpties.Drop(typed.Metadata);
    }

    /// <inheritdoc />
    public void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old)
    {
        OnUpdate?.Invoke((T)obj, (T)old);
        if (HasStatus && StatusProperty is not null)
        {
            StatusProperty.SetValue(obj, StatusProperty.GetValue(old));
        }

        long generation = old.Metadata.Generation ?? (SpecProperty is null ? 0 : 1);
        if (SpecProperty is not null && !KubernetesSerialization.JsonEquals(SpecProperty.GetValue(obj), SpecProperty.GetValue(old)))
        {
            generation++;
        }

        obj.Metadata.Generation = SpecProperty is null ? old.Metadata.Generation : generation;
        ObjectMetaEmpties.Drop(obj.Metadata);
    }

    /// <inheritdoc />
    public void PrepareForStatusUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old)
    {
        SpecProperty?.SetValue(obj, SpecProperty.GetValue(old));
        obj.Metadata.Generation = old.Metadata.Generation;
        // As Kubernetes' status strategies do: a status write does not change labels.
        obj.Metadata.Labels = old.Metadata.Labels;
    }

    /// <inheritdoc />
    public void Default(IKubernetesObject<V1ObjectMeta> obj) => Defaults?.Invoke((T)obj);

    /// <inheritdoc />
    public IReadOnlyList<FieldError> Validate(IKubernetesObject<V1ObjectMeta> obj)
    {
        var errors = new List<FieldError>(MetadataValidation.Validate(obj.Metadata, NameRule));
        if (Validation is not null)
        {
            errors.AddRange(Validation((T)obj));
        }

        return errors;
    }

    /// <inheritdoc />
    public IReadOnlyList<FieldError> ValidateUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old)
    {
        var errors = new List<FieldError>(Validate(obj));
        if (UpdateValidation is not null)
        {
            errors.AddRange(UpdateValidation((T)obj, (T)old));
        }

        return errors;
    }

    /// <inheritdoc />
    public IReadOnlyList<FieldError> ValidateStatusUpdate(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old) =>
        MetadataValidation.Validate(obj.Metadata, NameRule).ToList();

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> SelectableFields(IKubernetesObject<V1ObjectMeta> obj)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["metadata.name"] = obj.Metadata.Name ?? "",
        };
        if (obj.Metadata.NamespaceProperty is { } ns)
        {
            fields["metadata.namespace"] = ns;
        }

        if (Fields is not null)
        {
            foreach (KeyValuePair<string, string> f in Fields((T)obj))
            {
                fields[f.Key] = f.Value;
            }
        }

        return fields;
    }

    /// <inheritdoc />
    public IReadOnlyList<object?> TableRow(IKubernetesObject<V1ObjectMeta> obj, DateTimeOffset now)
    {
        var typed = (T)obj;
        var row = new List<object?> { NameCell is null ? obj.Metadata.Name : NameCell(typed) };
        if (Cells is null)
        {
            row.Add(Age.Of(obj.Metadata.CreationTimestamp, now));
        }
        else
        {
            row.AddRange(Cells(typed, now));
        }

        return row;
    }
}
