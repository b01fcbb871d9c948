using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry.Rbac;

/// <summary>
/// What one RBAC kind's policy-based storage checks before a write (pkg/registry/rbac/*/policybased): whether the writer
/// is trusted outright, and otherwise whether the new object grants nothing the writer may not grant.
/// </summary>
internal abstract class RbacWritePolicy
{
    /// <summary>True when the writer may write any object of the kind without the check.</summary>
    public abstract Task<bool> TrustedAsync(RestRequest request, CancellationToken cancellationToken);

    /// <summary>Refuses (throws a 403 Status) a write of <paramref name="obj"/> (replacing <paramref name="old"/>, if any) that would escalate.</summary>
    public abstract Task CheckAsync(RestRequest request, IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta>? old, CancellationToken cancellationToken);

    /// <summary>
    /// IsOnlyMutatingGCFields: an update that changes nothing but ownerReferences and finalizers — what the garbage
    /// collector writes — needs no check, so that it can always clean up.
    /// </summary>
    protected static bool IsOnlyMutatingGcFields(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old)
    {
        JsonNode updated = ObjectCodec.ToNode(obj);
        JsonNode current = ObjectCodec.ToNode(old);
        if (updated["metadata"] is JsonObject updatedMeta && current["metadata"] is JsonObject currentMeta)
        {
            foreach (string field in new[] { "ownerReferences", "finalizers", "selfLink" })
            {
                updatedMeta.Remove(field);
                currentMeta.Remove(field);
            }
        }

        return JsonNode.DeepEquals(updated, current);
    }
}
