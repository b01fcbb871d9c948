using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.History;

/// <summary>
/// A workload's history kept the Kubernetes way: each distinct pod template is one ControllerRevision named
/// <c>&lt;owner&gt;-&lt;hash&gt;</c>, owned by the workload, numbered in the order the templates became current.
/// </summary>
internal static class ControllerRevisions
{
    /// <summary>The revision label holding the template hash.</summary>
    public const string HashLabel = "controller.kubernetes.io/hash";

    /// <summary>The pod (and revision) label naming the revision a pod was made from.</summary>
    public const string PodRevisionLabel = "controller-revision-hash";

    /// <summary>The revision data: a patch that replaces the owner's pod template.</summary>
    public static string DataOf(V1PodTemplateSpec template)
    {
        JsonNode node = JsonSerializer.SerializeToNode(template, Navarch.Api.KubernetesSerialization.Options) ?? new JsonObject();
        node["$patch"] = "replace";
        var data = new JsonObject { ["spec"] = new JsonObject { ["template"] = node } };
        return data.ToJsonString();
    }

    /// <summary>The pod template a revision holds, or null when its data has none.</summary>
    public static V1PodTemplateSpec? TemplateOf(V1ControllerRevision revision)
    {
        if (ParseData(revision)?["spec"]?["template"] is not JsonObject template)
        {
            return null;
        }

        template.Remove("$patch");
        return template.Deserialize<V1PodTemplateSpec>(Navarch.Api.KubernetesSerialization.Options);
    }

    /// <summary>The revisions <paramref name="ownerUid"/> controls in <paramref name="namespace"/>, oldest first.</summary>
    public static List<V1ControllerRevision> OwnedBy(Indexer<V1ControllerRevision> store, string @namespace, string ownerUid) =>
        store.List(@namespace)
            .Where(r => r.Metadata.OwnerReferences?.Any(o => o.Controller == true && o.Uid == ownerUid) == true)
            .OrderBy(r => r.Revision)
            .ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Finds the revision holding <paramref name="template"/> or creates it; an older equal revision is renumbered to
    /// become the newest (a rollback). A name taken by a different template bumps the collision count.
    /// Returns the revision and the collision count to record in the owner's status.
    /// </summary>
    public static async Task<(V1ControllerRevision Revision, int? CollisionCount)> EnsureAsync(
        IKubernetes client, IKubernetesObject<V1ObjectMeta> owner, string kind, V1PodTemplateSpec template,
        List<V1ControllerRevision> existing, int? collisionCount, CancellationToken cancellationToken)
    {
        string data = DataOf(template);
        long newest = existing.Count == 0 ? 0 : existing.Max(r => r.Revision ?? 0);
        V1ControllerRevision? equal = existing.LastOrDefault(r => SameData(r, data));
        if (equal is not null)
        {
            if (equal.Revision < newest)
            {
                V1ControllerRevision copy = ModelCopies.Copy(equal);
                copy.Revision = newest + 1;
                equal = await client.AppsV1.ReplaceNamespacedControllerRevisionAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            }

            return (equal, collisionCount);
        }

        string ns = owner.Metadata.NamespaceProperty;
        while (true)
        {
            string hash = RevisionHash.Compute(data, collisionCount);
            var labels = new Dictionary<string, string>(template.Metadata?.Labels ?? new Dictionary<string, string>())
            {
                [HashLabel] = hash,
                [PodRevisionLabel] = hash,
            };
            var revision = new V1ControllerRevision
            {
                ApiVersion = "apps/v1",
                Kind = "ControllerRevision",
                Metadata = new V1ObjectMeta
                {
                    Name = $"{owner.Metadata.Name}-{hash}",
                    NamespaceProperty = ns,
                    Labels = labels,
                    OwnerReferences = [ControllerReference(owner, kind)],
                },
                Data = JsonDocument.Parse(data).RootElement.Clone(),
                Revision = newest + 1,
            };
            try
            {
                return (await client.AppsV1.CreateNamespacedControllerRevisionAsync(revision, ns, cancellationToken: cancellationToken), collisionCount);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                V1ControllerRevision taken = await client.AppsV1.ReadNamespacedControllerRevisionAsync(revision.Metadata.Name, ns, cancellationToken: cancellationToken);
                if (SameData(taken, data) && taken.Metadata.OwnerReferences?.Any(o => o.Controller == true && o.Uid == owner.Metadata.Uid) == true)
                {
                    // Ours, not in the informer yet.
                    return (taken, collisionCount);
                }

                collisionCount = (collisionCount ?? 0) + 1;
            }
        }
    }

    /// <summary>Deletes the oldest revisions not in <paramref name="live"/> beyond <paramref name="limit"/>.</summary>
    public static async Task TrimAsync(IKubernetes client, List<V1ControllerRevision> revisions, int limit, ISet<string> live, CancellationToken cancellationToken)
    {
        List<V1ControllerRevision> old = revisions.Where(r => !live.Contains(r.Metadata.Name)).OrderBy(r => r.Revision ?? 0).ToList();
        foreach (V1ControllerRevision revision in old.Take(Math.Max(0, old.Count - limit)))
        {
            try
            {
                await client.AppsV1.DeleteNamespacedControllerRevisionAsync(revision.Metadata.Name, revision.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>A controller ownerReference to <paramref name="owner"/>.</summary>
    public static V1OwnerReference ControllerReference(IKubernetesObject<V1ObjectMeta> owner, string kind) => ControllerRefs.To(owner, "apps/v1", kind);

    /// <summary>The controller ownerReference of <paramref name="obj"/> when its kind is <paramref name="kind"/>.</summary>
    public static V1OwnerReference? ControllerOf(IKubernetesObject<V1ObjectMeta> obj, string kind) =>
        ControllerRefs.ControllerOf(obj.Metadata, kind);

    private static bool SameData(V1ControllerRevision revision, string data) =>
        ParseData(revision) is { } have && JsonNode.DeepEquals(have, JsonNode.Parse(data));

    private static JsonNode? ParseData(V1ControllerRevision revision) => revision.Data switch
    {
        null => null,
        JsonElement e => JsonNode.Parse(e.GetRawText()),
        JsonNode n => JsonNode.Parse(n.ToJsonString()),
        string s => JsonNode.Parse(s),
        object o => JsonSerializer.SerializeToNode(o, Navarch.Api.KubernetesSerialization.Options),
    };
}
