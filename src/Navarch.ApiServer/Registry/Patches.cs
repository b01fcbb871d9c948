using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Patch;

namespace Navarch.ApiServer.Registry;

/// <summary>Applying a patch to an object's JSON, and the resourceVersion precondition a patch may carry.</summary>
internal static class Patches
{
    /// <summary>The patched document; a patch that does not leave an object is a 400.</summary>
    public static JsonObject Apply(PatchBody patch, JsonNode document)
    {
        JsonNode? patched;
        try
        {
            patched = patch.Type switch
            {
                "application/json-patch+json" => JsonPatch.Apply(document, patch.Patch),
                "application/merge-patch+json" => MergePatch.Apply(document, patch.Patch),
                ManagedFields.FieldManagement.ApplyPatchType => throw ApiErrors.UnsupportedMediaType(patch.Type + " (server-side apply is served for objects and their status, not for this subresource)"),
                _ => StrategicMergePatch.Apply(document, patch.Patch),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or InvalidCastException)
        {
            // A directive or value of the wrong JSON type where the patch code expected another: the patch is malformed.
            throw ApiErrors.BadRequest($"invalid patch: {e.Message}");
        }

        return patched as JsonObject ?? throw ApiErrors.BadRequest("the patch did not produce an object");
    }

    /// <summary>A resourceVersion in the patch is a precondition, as in Kubernetes: a Conflict when the object moved on.</summary>
    public static void CheckResourceVersion(PatchBody patch, IKubernetesObject<V1ObjectMeta> current, ResourceDefinition definition, string name)
    {
        if (patch.Patch is JsonObject po && po["metadata"]?["resourceVersion"]?.GetValue<string>() is { } wanted && wanted != current.Metadata.ResourceVersion)
        {
            throw ApiErrors.Conflict(definition.GroupResource, name);
        }
    }
}
