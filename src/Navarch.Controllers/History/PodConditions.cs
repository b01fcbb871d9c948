using k8s.Models;

namespace Navarch.Controllers.History;

/// <summary>Kubernetes' podutil readiness helpers.</summary>
internal static class PodConditions
{
    public static bool IsReady(V1Pod pod) => ReadyCondition(pod)?.Status == "True";

    public static bool IsRunningAndReady(V1Pod pod) => pod.Status?.Phase == "Running" && IsReady(pod);

    public static bool IsTerminating(V1Pod pod) => pod.Metadata.DeletionTimestamp is not null;

    /// <summary>Ready for at least <paramref name="minReadySeconds"/> at <paramref name="now"/>.</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        V1PodCondition? ready = ReadyCondition(pod);
        if (ready?.Status != "True")
        {
            return false;
        }

        if (minReadySeconds <= 0)
        {
            return true;
        }

        return ready.LastTransitionTime is { } since
            && now - new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)) >= TimeSpan.FromSeconds(minReadySeconds);
    }

    private static V1PodCondition? ReadyCondition(V1Pod pod) => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
}
