using k8s.Models;

namespace Navarch.Scheduler.Plugins.Helpers;

/// <summary>Whether tolerations tolerate a taint (core/v1 helper semantics).</summary>
internal static class Tolerations
{
    public static bool Tolerates(V1Toleration t, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(t.Effect) && t.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(t.Key) && t.Key != taint.Key)
        {
            return false;
        }

        return t.OperatorProperty switch
        {
            "Exists" => true,
            null or "" or "Equal" => string.IsNullOrEmpty(t.Key) ? false : (t.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    public static bool AnyTolerates(IList<V1Toleration>? tolerations, V1Taint taint) =>
        tolerations is not null && tolerations.Any(t => Tolerates(t, taint));

    /// <summary>The first taint with one of <paramref name="effects"/> that no toleration tolerates.</summary>
    public static V1Taint? FirstUntolerated(IList<V1Taint>? taints, IList<V1Toleration>? tolerations, params string[] effects) =>
        taints?.FirstOrDefault(taint => effects.Contains(taint.Effect) && !AnyTolerates(tolerations, taint));
}
