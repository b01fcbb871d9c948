using k8s.Models;

namespace Navarch.Controllers.NodeLifecycle;

/// <summary>The taints the node lifecycle controller manages, and Kubernetes' rule for whether a toleration tolerates a taint.</summary>
internal static class Taints
{
    public const string NoExecute = "NoExecute";
    public const string NoSchedule = "NoSchedule";
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string Unschedulable = "node.kubernetes.io/unschedulable";

    /// <summary>TaintNodesByCondition: a NoSchedule taint key per condition type and status.</summary>
    public static readonly IReadOnlyDictionary<(string Type, string Status), string> ByCondition = new Dictionary<(string, string), string>
    {
        [("Ready", "False")] = NotReady,
        [("Ready", "Unknown")] = Unreachable,
        [("MemoryPressure", "True")] = "node.kubernetes.io/memory-pressure",
        [("DiskPressure", "True")] = "node.kubernetes.io/disk-pressure",
        [("NetworkUnavailable", "True")] = "node.kubernetes.io/network-unavailable",
        [("PIDPressure", "True")] = "node.kubernetes.io/pid-pressure",
    };

    private static readonly HashSet<string> NoScheduleKeys = [.. ByCondition.Values, Unschedulable];

    /// <summary>True for a taint this controller owns (and so may add or remove).</summary>
    public static bool IsManaged(V1Taint taint) =>
        (taint.Effect == NoSchedule && NoScheduleKeys.Contains(taint.Key)) || (taint.Effect == NoExecute && taint.Key is NotReady or Unreachable);

    /// <summary>core/v1 Toleration.ToleratesTaint.</summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return toleration.OperatorProperty switch
        {
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            "Exists" => true,
            _ => false,
        };
    }

    /// <summary>Same key and effect: the identity of a taint on a node.</summary>
    public static bool SameTaint(V1Taint a, V1Taint b) => a.Key == b.Key && a.Effect == b.Effect;
}
