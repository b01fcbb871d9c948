using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>
/// What a pod asks of a node, the Kubernetes way: the sum of its containers, restartable init containers (sidecars)
/// added since they keep running, each ordinary init container counted as a peak over the sidecars started before
/// it, the larger of the two, plus the pod overhead.
/// </summary>
internal static class PodRequests
{
    /// <summary>Kubernetes' defaults for containers that request nothing, used only when scoring.</summary>
    public const long DefaultMilliCpu = 100;

    public const long DefaultMemory = 200L * 1024 * 1024;

    public static Resource Compute(V1Pod pod, bool nonZero = false)
    {
        var total = new Resource();
        foreach (V1Container c in pod.Spec.Containers ?? [])
        {
            total.Add(Of(c, nonZero));
        }

        var sidecars = new Resource();
        var initPeak = new Resource();
        foreach (V1Container c in pod.Spec.InitContainers ?? [])
        {
            Resource r = Of(c, nonZero);
            Resource peak;
            if (c.RestartPolicy == "Always")
            {
                total.Add(r);
                sidecars.Add(r);
                peak = sidecars;
            }
            else
            {
                peak = r.Clone();
                peak.Add(sidecars);
            }

            initPeak.SetMax(peak);
        }

        total.SetMax(initPeak);
        if (pod.Spec.Overhead is { } overhead)
        {
            total.Add(Resource.From(overhead));
        }

        total.Pods = 0;
        return total;
    }

    private static Resource Of(V1Container c, bool nonZero)
    {
        // The API server copies limits into missing requests; honour limits here too in case it did not.
        var list = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, ResourceQuantity> kv in c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>())
        {
            list[kv.Key] = kv.Value;
        }

        foreach (KeyValuePair<string, ResourceQuantity> kv in c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>())
        {
            list[kv.Key] = kv.Value;
        }

        Resource r = Resource.From(list);
        if (nonZero)
        {
            if (!list.ContainsKey("cpu"))
            {
                r.MilliCpu = DefaultMilliCpu;
            }

            if (!list.ContainsKey("memory"))
            {
                r.Memory = DefaultMemory;
            }
        }

        return r;
    }
}
