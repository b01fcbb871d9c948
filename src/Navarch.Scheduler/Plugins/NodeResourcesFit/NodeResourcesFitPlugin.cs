using k8s.Models;
using Navarch.Scheduler.Config;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// Rejects nodes without room for the pod's requests (cpu, memory, ephemeral-storage, pod count, extended
/// resources); scores the rest by the configured strategy over requests with non-zero defaults.
/// </summary>
internal sealed class NodeResourcesFitPlugin : IPreFilterPlugin, IFilterPlugin, IScorePlugin
{
    public const string PluginName = "NodeResourcesFit";
    private const string StateKey = "PreFilter" + PluginName;

    private readonly NodeResourcesFitArgs _args;
    private readonly HashSet<string> _ignored;

    public NodeResourcesFitPlugin(NodeResourcesFitArgs args)
    {
        _args = args;
        _ignored = args.IgnoredResources.ToHashSet(StringComparer.Ordinal);
        if (args.ScoringStrategy.Type is not ("LeastAllocated" or "MostAllocated" or "RequestedToCapacityRatio"))
        {
            throw new InvalidDataException($"NodeResourcesFit: unknown scoringStrategy type \"{args.ScoringStrategy.Type}\"");
        }
    }

    public static NodeResourcesFitPlugin Create(object? args) => new(ConfigurationLoader.ReadArgs<NodeResourcesFitArgs>(args));

    public string Name => PluginName;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        state.Write(StateKey, new PodInfo(pod));
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        PodInfo info = state.Read<PodInfo>(StateKey) ?? new PodInfo(pod);
        List<string> reasons = Insufficient(info.Requests, node, _ignored);
        return reasons.Count == 0 ? Status.Success : Status.Unschedulable([.. reasons]);
    }

    /// <summary>The reasons <paramref name="request"/> does not fit on <paramref name="node"/>, in Kubernetes' words.</summary>
    public static List<string> Insufficient(Resource request, NodeInfo node, IReadOnlySet<string>? ignored = null)
    {
        var reasons = new List<string>();
        if (node.Requested.Pods + 1 > node.Allocatable.Pods)
        {
            reasons.Add("Too many pods");
        }

        foreach (string name in request.Names())
        {
            long want = request.Get(name);
            if (want <= 0 || (ignored?.Contains(name) ?? false))
            {
                continue;
            }

            if (want > node.Allocatable.Get(name) - node.Requested.Get(name))
            {
                reasons.Add($"Insufficient {name}");
            }
        }

        return reasons;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        PodInfo info = state.Read<PodInfo>(StateKey) ?? new PodInfo(pod);
        long weighted = 0;
        long weights = 0;
        foreach (ResourceWeight r in _args.ScoringStrategy.Resources)
        {
            long capacity = node.Allocatable.Get(r.Name);
            if (capacity == 0)
            {
                continue;
            }

            long requested = node.NonZeroRequested.Get(r.Name) + info.NonZeroRequests.Get(r.Name);
            weighted += ScoreOne(requested, capacity) * r.Weight;
            weights += r.Weight;
        }

        return weights == 0 ? 0 : weighted / weights;
    }

    private long ScoreOne(long requested, long capacity)
    {
        switch (_args.ScoringStrategy.Type)
        {
            case "MostAllocated":
                return requested > capacity ? IScorePlugin.MaxNodeScore : requested * IScorePlugin.MaxNodeScore / capacity;
            case "RequestedToCapacityRatio":
                return Shape(Math.Min(100, requested * 100 / capacity));
            default:
                return requested > capacity ? 0 : (capacity - requested) * IScorePlugin.MaxNodeScore / capacity;
        }
    }

    /// <summary>Linear interpolation on the shape, whose scores run 0..10 and are scaled to 0..100.</summary>
    private long Shape(long utilization)
    {
        List<UtilizationShapePoint> shape = _args.ScoringStrategy.RequestedToCapacityRatio.Shape;
        if (shape.Count == 0)
        {
            return 0;
        }

        const long scale = IScorePlugin.MaxNodeScore / 10;
        if (utilization <= shape[0].Utilization)
        {
            return shape[0].Score * scale;
        }

        for (int i = 1; i < shape.Count; i++)
        {
            if (utilization <= shape[i].Utilization)
            {
                UtilizationShapePoint a = shape[i - 1];
                UtilizationShapePoint b = shape[i];
                long numerator = ((long)(b.Score - a.Score) * scale * (utilization - a.Utilization)) / (b.Utilization - a.Utilization);
                return (a.Score * scale) + numerator;
            }
        }

        return shape[^1].Score * scale;
    }
}
