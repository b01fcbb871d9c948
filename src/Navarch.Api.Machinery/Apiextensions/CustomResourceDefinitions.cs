using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// What a CustomResourceDefinition serves: one <see cref="ResourceDefinition"/> per served version, under the names it
/// was accepted with, stored as apiextensions-apiserver stores custom resources (<c>/registry/&lt;group&gt;/&lt;plural&gt;</c>,
/// the storage version's apiVersion in every stored object).
/// </summary>
public static class CustomResourceDefinitions
{
    /// <summary>The finalizer that deletes a CRD's objects before the CRD itself goes.</summary>
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    /// <summary>
    /// The resource definitions of <paramref name="crd"/>'s served versions, under its accepted names, converting between
    /// versions by <paramref name="conversion"/> (<c>None</c> when not given: the CRD's strategy must then be None).
    /// </summary>
    public static IReadOnlyList<ResourceDefinition> Served(V1CustomResourceDefinition crd, ICustomResourceConversion? conversion = null)
    {
        ArgumentNullException.ThrowIfNull(crd);
        IReadOnlyDictionary<string, StructuralSchema> schemas = Schemas(crd);
        // In discovery order: the most preferred version first, as apiextensions-apiserver sorts them.
        return crd.Spec.Versions.Where(v => v.Served).OrderByDescending(v => v.Name, KubeAwareVersions.Comparer)
            .Select(v => Definition(crd, v, schemas, conversion ?? NoneConversion.Instance)).ToList();
    }

    /// <summary>The resource definition of <paramref name="crd"/>'s storage version, served or not (to reach its stored objects).</summary>
    public static ResourceDefinition Storage(V1CustomResourceDefinition crd, ICustomResourceConversion? conversion = null)
    {
        ArgumentNullException.ThrowIfNull(crd);
        return Definition(crd, crd.Spec.Versions.FirstOrDefault(v => v.Storage) ?? crd.Spec.Versions[0], Schemas(crd), conversion ?? NoneConversion.Instance);
    }

    /// <summary>True when the CRD converts through a webhook (<c>spec.conversion.strategy: Webhook</c>).</summary>
    public static bool ConvertsByWebhook(V1CustomResourceDefinition crd) => crd?.Spec?.Conversion?.Strategy == "Webhook";

    /// <summary>Each version's structural schema, compiled once for the CRD's strategies and converters.</summary>
    private static Dictionary<string, StructuralSchema> Schemas(V1CustomResourceDefinition crd) =>
        crd.Spec.Versions.ToDictionary(v => v.Name, v => StructuralSchema.From(v.Schema?.OpenAPIV3Schema), StringComparer.Ordinal);

    private static ResourceDefinition Definition(
        V1CustomResourceDefinition crd, V1CustomResourceDefinitionVersion version, IReadOnlyDictionary<string, StructuralSchema> schemas, ICustomResourceConversion conversion)
    {
        V1CustomResourceDefinitionNames names = crd.Status?.AcceptedNames is { Plural.Length: > 0 } accepted ? accepted : crd.Spec.Names;
        string group = crd.Spec.Group;
        string storage = crd.Spec.Versions.FirstOrDefault(v => v.Storage)?.Name ?? crd.Spec.Versions[0].Name;
        var subresources = new List<string>();
        if (version.Subresources?.Status is not null)
        {
            subresources.Add("status");
        }

        if (version.Subresources?.Scale is not null)
        {
            subresources.Add("scale");
        }

        return new ResourceDefinition
        {
            Group = group,
            Version = version.Name,
            Kind = names.Kind,
            Plural = names.Plural,
            Singular = names.Singular ?? names.Kind.ToLowerInvariant(),
            Namespaced = crd.Spec.Scope != "Cluster",
            ClrType = typeof(CustomResource),
            ListClrType = typeof(CustomResourceList),
            StoragePrefix = $"/registry/{group}/{names.Plural}",
            ShortNames = names.ShortNames?.ToList() ?? [],
            Categories = names.Categories?.ToList() ?? [],
            Subresources = subresources,
            ListKind = string.IsNullOrEmpty(names.ListKind) ? names.Kind + "List" : names.ListKind,
            Converter = new CustomResourceConverter(group, version.Name, storage, schemas, conversion),
            Strategy = new CustomResourceStrategy(crd, version, schemas[version.Name]),
        };
    }
}
