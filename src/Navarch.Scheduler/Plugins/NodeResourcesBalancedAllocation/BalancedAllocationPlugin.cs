using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Plugins.NodeResourcesBalancedAllocation;

/// <summary>
/// Prefers nodes whose cpu and memory would be used in equal shares after placing the pod: 100 × (1 − the standard
/// deviation of the shares).
/// </summary>
internal sealed class BalancedAllocationPlugin : IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "NodeResourcesBalancedAllocation";
    private const string StateKey = "PreScore" + PluginName;
    private static readonly string[] Resources = ["cpu", "memory"];

    public string Name => PluginName;

    public Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IReadOnlyList<NodeInfo> all)
    {
        state.Write(StateKey, PodRequests.Compute(pod, nonZero: true));
        return Status.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        Resource request = state.Read<Resource>(StateKey) ?? PodRequests.Compute(pod, nonZero: true);
        Span<double> shares = stackalloc double[Resources.Length];
        int n = 0;
        foreach (string r in Resources)
        {
            long capacity = node.Allocatable.Get(r);
            if (capacity == 0)
            {
                continue;
            }

            shares[n++] = Math.Min(1.0, (double)(node.NonZeroRequested.Get(r) + request.Get(r)) / capacity);
        }

        if (n == 0)
        {
            return 0;
        }

        double mean = 0;
        for (int i = 0; i < n; i++)
        {
            mean += shares[i];
        }

        mean /= n;
        double variance = 0;
        for (int i = 0; i < n; i++)
        {
            variance += (shares[i] - mean) * (shares[i] - mean);
        }

        double std = Math.Sqrt(variance / n);
        return (long)((1 - std) * IScorePlugin.MaxNodeScore);
    }
}
