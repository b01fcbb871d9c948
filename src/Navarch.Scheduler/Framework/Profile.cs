using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>
/// One profile's plugins per extension point, and the runs of each point over them (the framework side of the
/// plugin interfaces: the only place that knows them all).
/// </summary>
internal sealed class Profile
{
    public required string SchedulerName { get; init; }

    public int PercentageOfNodesToScore { get; init; }

    public required FrameworkHandle Handle { get; init; }

    public List<IPreFilterPlugin> PreFilter { get; } = [];

    public List<IFilterPlugin> Filter { get; } = [];

    public List<IPostFilterPlugin> PostFilter { get; } = [];

    public List<IPreScorePlugin> PreScore { get; } = [];

    public List<ScorePluginEntry> Score { get; } = [];

    public List<IReservePlugin> Reserve { get; } = [];

    public List<IPreBindPlugin> PreBind { get; } = [];

    public List<IBindPlugin> Bind { get; } = [];

    public Status RunPreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        foreach (IPreFilterPlugin p in PreFilter)
        {
            Status s = p.PreFilter(state, pod, nodes);
            if (s.Code == StatusCode.Skip)
            {
                state.SkipFilterPlugins.Add(p.Name);
            }
            else if (!s.IsSuccess)
            {
                return s.From(p.Name);
            }
        }

        return Status.Success;
    }

    /// <summary>Tells PreFilter state that <paramref name="other"/> joins (<paramref name="add"/>) or leaves <paramref name="node"/>.</summary>
    public void RunPreFilterExtensions(CycleState state, V1Pod pod, PodInfo other, NodeInfo node, bool add)
    {
        foreach (IPreFilterPlugin p in PreFilter)
        {
            if (p is IPreFilterExtensions e && !state.SkipFilterPlugins.Contains(p.Name))
            {
                if (add)
                {
                    e.AddPod(state, pod, other, node);
                }
                else
                {
                    e.RemovePod(state, pod, other, node);
                }
            }
        }
    }

    public Status RunFilter(CycleState state, V1Pod pod, NodeInfo node)
    {
        foreach (IFilterPlugin p in Filter)
        {
            if (state.SkipFilterPlugins.Contains(p.Name))
            {
                continue;
            }

            Status s = p.Filter(state, pod, node);
            if (!s.IsSuccess)
            {
                return s.From(p.Name);
            }
        }

        return Status.Success;
    }

    public async Task<PostFilterResult> RunPostFilterAsync(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> failures, CancellationToken cancellationToken)
    {
        PostFilterResult? last = null;
        foreach (IPostFilterPlugin p in PostFilter)
        {
            PostFilterResult r = await p.PostFilterAsync(state, pod, failures, cancellationToken).ConfigureAwait(false);
            if (r.Status.IsSuccess || r.Status.Code == StatusCode.Error)
            {
                return r;
            }

            last = r;
        }

        return last ?? new PostFilterResult(null, Status.Unresolvable());
    }

    public Status RunPreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IReadOnlyList<NodeInfo> all)
    {
        foreach (IPreScorePlugin p in PreScore)
        {
            Status s = p.PreScore(state, pod, feasible, all);
            if (s.Code == StatusCode.Skip)
            {
                state.SkipScorePlugins.Add(p.Name);
            }
            else if (!s.IsSuccess)
            {
                return s.From(p.Name);
            }
        }

        return Status.Success;
    }

    /// <summary>The weighted sum of every score plugin's normalised scores, per feasible node.</summary>
    public long[] RunScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible)
    {
        long[] total = new long[feasible.Count];
        foreach (ScorePluginEntry entry in Score)
        {
            if (state.SkipScorePlugins.Contains(entry.Plugin.Name))
            {
                continue;
            }

            long[] scores = new long[feasible.Count];
            if (feasible.Count > 512)
            {
                Parallel.For(0, feasible.Count, i => scores[i] = entry.Plugin.Score(state, pod, feasible[i]));
            }
            else
            {
                for (int i = 0; i < feasible.Count; i++)
                {
                    scores[i] = entry.Plugin.Score(state, pod, feasible[i]);
                }
            }

            entry.Plugin.NormalizeScore(state, pod, scores);
            for (int i = 0; i < scores.Length; i++)
            {
                total[i] += scores[i] * entry.Weight;
            }
        }

        return total;
    }

    public Status RunReserve(CycleState state, V1Pod pod, string nodeName)
    {
        for (int i = 0; i < Reserve.Count; i++)
        {
            Status s = Reserve[i].Reserve(state, pod, nodeName);
            if (!s.IsSuccess)
            {
                RunUnreserve(state, pod, nodeName);
                return s.From(Reserve[i].Name);
            }
        }

        return Status.Success;
    }

    public void RunUnreserve(CycleState state, V1Pod pod, string nodeName)
    {
        for (int i = Reserve.Count - 1; i >= 0; i--)
        {
            Reserve[i].Unreserve(state, pod, nodeName);
        }
    }

    public async Task<Status> RunPreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        foreach (IPreBindPlugin p in PreBind)
        {
            Status s = await p.PreBindAsync(state, pod, nodeName, cancellationToken).ConfigureAwait(false);
            if (!s.IsSuccess)
            {
                return s.From(p.Name);
            }
        }

        return Status.Success;
    }

    public async Task<Status> RunBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        foreach (IBindPlugin p in Bind)
        {
            Status s = await p.BindAsync(state, pod, nodeName, cancellationToken).ConfigureAwait(false);
            if (s.Code != StatusCode.Skip)
            {
                return s.From(p.Name);
            }
        }

        return Status.Error("no bind plugin bound the pod");
    }
}
