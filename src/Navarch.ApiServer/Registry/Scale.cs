using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Apiextensions;
using Navarch.Api.Selectors;

namespace Navarch.ApiServer.Registry;

/// <summary>The autoscaling/v1 Scale view of a workload's replicas (the /scale subresource).</summary>
internal static class Scale
{
    public static JsonObject ToScale(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj)
    {
        if (definition.Strategy is CustomResourceStrategy { Scale: { } paths })
        {
            return CustomResourceScale.ToScale((CustomResource)obj, paths);
        }

        JsonNode node = ObjectCodec.ToNode(obj);
        // A ReplicationController's selector is a label map; every other workload's a LabelSelector.
        string? selector = node["spec"]?["selector"] is not JsonNode s ? null
            : obj is V1ReplicationController ? new V1LabelSelector { MatchLabels = s.Deserialize<Dictionary<string, string>>(KubernetesSerialization.Options) }.Format()
            : s.Deserialize<V1LabelSelector>(KubernetesSerialization.Options)!.Format();
        var scale = new V1Scale
        {
            ApiVersion = "autoscaling/v1",
            Kind = "Scale",
            Metadata = new V1ObjectMeta
            {
                Name = obj.Metadata.Name,
                NamespaceProperty = obj.Metadata.NamespaceProperty,
                Uid = obj.Metadata.Uid,
                ResourceVersion = obj.Metadata.ResourceVersion,
                CreationTimestamp = obj.Metadata.CreationTimestamp,
            },
            Spec = new V1ScaleSpec { Replicas = node["spec"]?["replicas"]?.GetValue<int>() ?? 0 },
            Status = new V1ScaleStatus { Replicas = node["status"]?["replicas"]?.GetValue<int>() ?? 0, Selector = selector == "<none>" ? "" : selector },
        };
        return (JsonObject)JsonSerializer.SerializeToNode(scale, KubernetesSerialization.Options)!;
    }

    /// <summary>Sets spec.replicas of <paramref name="target"/> from a Scale document.</summary>
    public static IKubernetesObject<V1ObjectMeta> Apply(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> target, JsonObject scale)
    {
        JsonNode? replicas = scale["spec"]?["replicas"];
        if (replicas is null || !replicas.AsValue().TryGetValue(out int count) || count < 0)
        {
            throw ApiErrors.Invalid("Scale", "autoscaling", target.Metadata.Name, [new FieldError(FieldErrorType.Invalid, "spec.replicas", replicas?.ToJsonString(), "must be greater than or equal to 0")]);
        }

        if (definition.Strategy is CustomResourceStrategy { Scale: { } paths })
        {
            CustomResourceScale.SetReplicas((CustomResource)target, paths, count);
            return target;
        }

        JsonNode node = ObjectCodec.ToNode(target);
        node["spec"] ??= new JsonObject();
        node["spec"]!["replicas"] = count;
        return ObjectCodec.FromNode(definition, node, strict: false);
    }
}
