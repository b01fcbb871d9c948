using System.Reflection;
using k8s.Models;

namespace Navarch.Client.Informers;

/// <summary>The REST path of a model type's collection, from its <c>[KubernetesEntity]</c> attribute.</summary>
internal static class ResourcePaths
{
    public static string Collection<T>(string? @namespace)
    {
        KubernetesEntityAttribute entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{typeof(T)} is not a Kubernetes model type");
        string root = string.IsNullOrEmpty(entity.Group) ? $"/api/{entity.ApiVersion}" : $"/apis/{entity.Group}/{entity.ApiVersion}";
        return string.IsNullOrEmpty(@namespace) ? $"{root}/{entity.PluralName}" : $"{root}/namespaces/{@namespace}/{entity.PluralName}";
    }
}
