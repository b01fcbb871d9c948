using k8s.Models;

namespace Navarch.Api.Strategies.ApiExtensions;

/// <summary>apiextensions.k8s.io/v1 CustomResourceDefinition.</summary>
internal static class CustomResourceDefinitionStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1CustomResourceDefinition> Create() => new()
    {
        HasStatus = true,
        Defaults = Defaults,
        Validation = CustomResourceDefinitionValidation.Validate,
    };

    /// <summary>apiextensions/v1's SetDefaults_CustomResourceDefinitionSpec: singular, listKind and conversion None.</summary>
    private static void Defaults(V1CustomResourceDefinition crd)
    {
        if (crd.Spec?.Names is { Kind: { Length: > 0 } kind } names)
        {
            names.Singular ??= kind.ToLowerInvariant();
            names.ListKind ??= kind + "List";
        }

        if (crd.Spec is { } spec)
        {
            spec.Conversion ??= new V1CustomResourceConversion { Strategy = "None" };
        }
    }
}
