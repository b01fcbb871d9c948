using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The scale subresource of a custom resource (apiextensions-apiserver's ScaleREST): the replicas at the CRD's
/// <c>specReplicasPath</c> and <c>statusReplicasPath</c>, and the selector string at <c>labelSelectorPath</c>.
/// </summary>
internal static class CustomResourceScale
{
    public static JsonObject ToScale(CustomResource resource, V1CustomResourceSubresourceScale paths)
    {
        var scale = new V1Scale
        {
            ApiVersion = "autoscaling/v1",
            Kind = "Scale",
            Metadata = new V1ObjectMeta
            {
                Name = resource.Metadata.Name,
                NamespaceProperty = resource.Metadata.NamespaceProperty,
                Uid = resource.Metadata.Uid,
                ResourceVersion = resource.Metadata.ResourceVersion,
                CreationTimestamp = resource.Metadata.CreationTimestamp,
            },
            Spec = new V1ScaleSpec { Replicas = Int(resource, paths.SpecReplicasPath) },
            Status = new V1ScaleStatus
            {
                Replicas = Int(resource, paths.StatusReplicasPath),
                Selector = paths.LabelSelectorPath is { Length: > 0 } selector && CustomResourceJsonPath.Parse(selector).Find(resource) is [JsonValue v, ..]
                    ? CustomResourceJsonPath.Print(v)
                    : "",
            },
        };
        return (JsonObject)JsonSerializer.SerializeToNode(scale, KubernetesSerialization.Options)!;
    }

    /// <summary>Sets <paramref name="replicas"/> at the spec replicas path, making the objects on the way.</summary>
    public static void SetReplicas(CustomResource resource, V1CustomResourceSubresourceScale paths, int replicas)
    {
        string[] fields = paths.SpecReplicasPath.TrimStart('.').Split('.');
        JsonObject at = resource.Content;
        foreach (string field in fields[..^1])
        {
            if (at[field] is not JsonObject next)
            {
                at[field] = next = [];
            }

            at = next;
        }

        at[fields[^1]] = replicas;
    }

    private static int Int(CustomResource resource, string? path) =>
        path is { Length: > 0 } && CustomResourceJsonPath.Parse(path).Find(resource) is [JsonValue v, ..] && v.TryGetValue(out int n) ? n : 0;
}
