using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Quota;

/// <summary>
/// A pod's effective requests and limits, as Kubernetes' resource helpers (PodRequests, PodLimits) count them: the
/// containers' sum, raised to any init container's (sidecars, restartPolicy Always, add up and stay), plus the
/// overhead (for limits only where a limit is set).
/// </summary>
public static class PodResources
{
    /// <summary>The pod's requests.</summary>
    public static Dictionary<string, Quantity> Requests(V1Pod pod, bool withOverhead = true) => Effective(pod, c => c.Resources?.Requests, withOverhead, overheadEverywhere: true);

    /// <summary>The pod's limits.</summary>
    public static Dictionary<string, Quantity> Limits(V1Pod pod, bool withOverhead = true) => Effective(pod, c => c.Resources?.Limits, withOverhead, overheadEverywhere: false);

    /// <summary>True for the BestEffort QoS class: no container requests or limits cpu or memory.</summary>
    public static bool IsBestEffort(V1Pod pod) =>
        !(pod.Spec?.InitContainers ?? []).Concat(pod.Spec?.Containers ?? []).Any(c =>
            new[] { c.Resources?.Requests, c.Resources?.Limits }.Any(list => list?.Any(kv => kv.Key is "cpu" or "memory" && !kv.Value.ToQuantity().IsZero) == true));

    private static Dictionary<string, Quantity> Effective(V1Pod pod, Func<V1Container, IDictionary<string, ResourceQuantity>?> of, bool withOverhead, bool overheadEverywhere)
    {
        Dictionary<string, Quantity> sum = new(StringComparer.Ordinal);
        foreach (V1Container container in pod.Spec?.Containers ?? [])
        {
            sum = ResourceLists.Add(sum, ResourceLists.From(of(container)));
        }

        Dictionary<string, Quantity> sidecars = new(StringComparer.Ordinal);
        Dictionary<string, Quantity> initMax = new(StringComparer.Ordinal);
        foreach (V1Container init in pod.Spec?.InitContainers ?? [])
        {
            Dictionary<string, Quantity> own = ResourceLists.From(of(init));
            Dictionary<string, Quantity> during;
            if (init.RestartPolicy == "Always")
            {
                sum = ResourceLists.Add(sum, own);
                sidecars = ResourceLists.Add(sidecars, own);
                during = sidecars;
            }
            else
            {
                during = ResourceLists.Add(own, sidecars);
            }

            initMax = Max(initMax, during);
        }

        Dictionary<string, Quantity> result = Max(sum, initMax);
        foreach ((string name, ResourceQuantity value) in (withOverhead ? pod.Spec?.Overhead : null) ?? new Dictionary<string, ResourceQuantity>())
        {
            if (overheadEverywhere || result.ContainsKey(name))
            {
                result[name] = result.TryGetValue(name, out Quantity existing) ? existing.Add(value.ToQuantity()) : value.ToQuantity();
            }
        }

        return result;
    }

    private static Dictionary<string, Quantity> Max(Dictionary<string, Quantity> a, Dictionary<string, Quantity> b)
    {
        var result = new Dictionary<string, Quantity>(a, StringComparer.Ordinal);
        foreach ((string name, Quantity value) in b)
        {
            if (!result.TryGetValue(name, out Quantity existing) || value > existing)
            {
                result[name] = value;
            }
        }

        return result;
    }
}
