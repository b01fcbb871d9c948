using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;

namespace Navarch.Controllers.Deployment;

/// <summary>
/// The bookkeeping a Deployment keeps on its ReplicaSets, named and shaped as Kubernetes does so that
/// <c>kubectl rollout history</c> and <c>rollout undo</c> read it: the pod-template-hash label, and the revision,
/// desired-replicas and max-replicas annotations.
/// </summary>
internal static class Revisions
{
    public const string HashLabel = "pod-template-hash";
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>A ReplicaSet's revision, 0 when it has none.</summary>
    public static long Of(V1ReplicaSet rs) =>
        rs.Metadata.Annotations?.TryGetValue(RevisionAnnotation, out string? value) == true && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long revision) ? revision : 0;

    /// <summary>The hash of a pod template (and the collision count), as a label value: FNV-1a 32 in the safe alphabet.</summary>
    public static string TemplateHash(V1PodTemplateSpec template, int? collisionCount) =>
        History.RevisionHash.Compute(JsonSerializer.Serialize(template, KubernetesSerialization.Options), collisionCount);

    /// <summary>Whether a ReplicaSet's template is the Deployment's, the pod-template-hash label aside.</summary>
    public static bool TemplateEquals(V1PodTemplateSpec replicaSetTemplate, V1PodTemplateSpec deploymentTemplate)
    {
        JsonNode Normalised(V1PodTemplateSpec t)
        {
            JsonNode node = JsonSerializer.SerializeToNode(t, KubernetesSerialization.Options)!;
            if (node["metadata"]?["labels"] is JsonObject labels)
            {
                labels.Remove(HashLabel);
                if (labels.Count == 0)
                {
                    node["metadata"]!.AsObject().Remove("labels");
                }
            }

            return node;
        }

        return JsonNode.DeepEquals(Normalised(replicaSetTemplate), Normalised(deploymentTemplate));
    }

    /// <summary>
    /// The Deployment's annotations a ReplicaSet carries (kubernetes.io/change-cause among them, which
    /// <c>rollout history</c> shows), without kubectl's last-applied configuration and the controller's own.
    /// </summary>
    public static Dictionary<string, string> CopiedAnnotations(V1Deployment d) =>
        (d.Metadata.Annotations ?? new Dictionary<string, string>())
            .Where(kv => kv.Key != LastAppliedAnnotation && !kv.Key.StartsWith("deployment.kubernetes.io/", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>maxSurge and maxUnavailable resolved against replicas (surge rounds up, unavailable down; never both 0).</summary>
    public static (int Surge, int Unavailable) Fenceposts(V1Deployment d)
    {
        int replicas = d.Spec.Replicas ?? 1;
        V1RollingUpdateDeployment? rolling = d.Spec.Strategy?.RollingUpdate;
        int surge = Resolve(rolling?.MaxSurge, replicas, roundUp: true, fallback: "25%");
        int unavailable = Resolve(rolling?.MaxUnavailable, replicas, roundUp: false, fallback: "25%");
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, Math.Min(unavailable, replicas));
    }

    /// <summary>An int-or-percent resolved against <paramref name="total"/>.</summary>
    public static int Resolve(IntOrString? value, int total, bool roundUp, string fallback)
    {
        string text = value?.Value ?? fallback;
        if (text.EndsWith('%'))
        {
            double percent = double.Parse(text.AsSpan(0, text.Length - 1), NumberStyles.Integer, CultureInfo.InvariantCulture);
            double scaled = percent * total / 100.0;
            return (int)(roundUp ? Math.Ceiling(scaled) : Math.Floor(scaled));
        }

        return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    /// <summary>The max-replicas annotation of a ReplicaSet, or null.</summary>
    public static int? MaxReplicas(V1ReplicaSet rs) =>
        rs.Metadata.Annotations?.TryGetValue(MaxReplicasAnnotation, out string? value) == true && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int max) ? max : null;

    /// <summary>The desired-replicas annotation of a ReplicaSet, or null.</summary>
    public static int? DesiredReplicas(V1ReplicaSet rs) =>
        rs.Metadata.Annotations?.TryGetValue(DesiredReplicasAnnotation, out string? value) == true && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int desired) ? desired : null;

    /// <summary>Sets the replica annotations for <paramref name="d"/> on a ReplicaSet; true when anything changed.</summary>
    public static bool SetReplicaAnnotations(V1ReplicaSet rs, V1Deployment d)
    {
        int replicas = d.Spec.Replicas ?? 1;
        int max = replicas + (d.Spec.Strategy?.Type == "Recreate" ? 0 : Fenceposts(d).Surge);
        rs.Metadata.Annotations ??= new Dictionary<string, string>();
        bool changed = Set(rs.Metadata.Annotations, DesiredReplicasAnnotation, replicas.ToString(CultureInfo.InvariantCulture));
        return Set(rs.Metadata.Annotations, MaxReplicasAnnotation, max.ToString(CultureInfo.InvariantCulture)) || changed;
    }

    /// <summary>Sets one annotation; true when it changed.</summary>
    public static bool Set(IDictionary<string, string> annotations, string key, string value)
    {
        if (annotations.TryGetValue(key, out string? have) && have == value)
        {
            return false;
        }

        annotations[key] = value;
        return true;
    }
}
