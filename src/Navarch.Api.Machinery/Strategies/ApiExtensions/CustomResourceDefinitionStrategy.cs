using k8s.Models;

namespace Navarch.Api.Strategies.ApiExtensions;

/// <summary>apiextensions.k8s.io/v1 CustomResourceDefinition.</summary>
internal static class CustomResourceDefinitionStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1CustomResourceDefinition> Create() => new()
    {
        HasStatus = true,
        Validation = CustomResourceDefinitionValidation.Validate,
    };
}
