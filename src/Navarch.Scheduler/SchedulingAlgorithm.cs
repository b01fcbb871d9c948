using System.Collections.Concurrent;
using k8s.Models;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler;

/// <summary>
/// The pure part of a scheduling cycle over a snapshot: PreFilter, Filter across nodes in parallel until enough are
/// feasible (percentageOfNodesToScore, starting where the last cycle stopped so every node gets its turn), PreScore,
/// Score, and the pick of the best (ties broken at random).
/// </summary>
internal sealed class SchedulingAlgorithm
{
    private const int MinFeasibleNodesToFind = 100;
    private const int MinFeasibleNodesPercentageToFind = 5;
    private int _nextStart;

    /// <summary>How many feasible nodes to look for before scoring.</summary>
    public static int NumFeasibleNodesToFind(int percentage, int allNodes)
    {
        if (allNodes < MinFeasibleNodesToFind)
        {
            return allNodes;
        }

        if (percentage <= 0)
        {
            percentage = Math.Max(MinFeasibleNodesPercentageToFind, 50 - (allNodes / 125));
        }

        if (percentage >= 100)
        {
            return allNodes;
        }

        return Math.Max(MinFeasibleNodesToFind, allNodes * percentage / 100);
    }

    public ScheduleResult Schedule(Profile profile, CycleState state, V1Pod pod, Snapshot snapshot)
    {
        IReadOnlyList<NodeInfo> nodes = snapshot.Nodes;
        var failures = new ConcurrentDictionary<string, Status>(StringComparer.Ordinal);
        if (nodes.Count == 0)
        {
            return new ScheduleResult(null, 0, 0, failures, null, 0);
        }

        Status pre = profile.RunPreFilter(state, pod, nodes);
        if (pre.Code == StatusCode.Error)
        {
            return new ScheduleResult(null, 0, 0, failures, pre, nodes.Count);
        }

        if (pre.IsRejected)
        {
            foreach (NodeInfo n in nodes)
            {
                failures[n.Name] = pre;
            }

            return new ScheduleResult(null, 0, 0, failures, null, nodes.Count);
        }

        int toFind = NumFeasibleNodesToFind(profile.PercentageOfNodesToScore, nodes.Count);
        var feasibleSlots = new NodeInfo?[nodes.Count];
        int found = 0;
        int processed = 0;
        Status? error = null;
        int start = _nextStart % nodes.Count;
        bool anyNominated = profile.Handle.Nominator.Count > 0;
        int priority = anyNominated ? profile.Handle.PriorityOf(pod) : 0;
        string key = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        void Check(int i, ParallelLoopState? loop)
        {
            NodeInfo node = nodes[(start + i) % nodes.Count];
            Status s = anyNominated ? FilterWithNominated(profile, state, pod, node, priority, key) : profile.RunFilter(state, pod, node);
            Interlocked.Increment(ref processed);
            if (s.IsSuccess)
            {
                int count = Interlocked.Increment(ref found);
                if (count > toFind)
                {
                    loop?.Stop();
                    return;
                }

                feasibleSlots[i] = node;
                if (count == toFind)
                {
                    loop?.Stop();
                }
            }
            else if (s.IsRejected)
            {
                failures[node.Name] = s;
            }
            else
            {
                error = s;
                loop?.Stop();
            }
        }

        if (nodes.Count < 512)
        {
            for (int i = 0; i < nodes.Count && Volatile.Read(ref found) < toFind && error is null; i++)
            {
                Check(i, null);
            }
        }
        else
        {
            Parallel.For(0, nodes.Count, (i, loop) => Check(i, loop));
        }

        _nextStart = (start + processed) % nodes.Count;
        if (error is not null)
        {
            return new ScheduleResult(null, processed, 0, failures, error, nodes.Count);
        }

        List<NodeInfo> feasible = feasibleSlots.Where(n => n is not null).Select(n => n!).ToList();
        if (feasible.Count == 0)
        {
            return new ScheduleResult(null, processed, 0, failures, null, nodes.Count);
        }

        if (feasible.Count == 1)
        {
            return new ScheduleResult(feasible[0].Name, processed, 1, failures, null, nodes.Count);
        }

        Status preScore = profile.RunPreScore(state, pod, feasible, nodes);
        if (!preScore.IsSuccess)
        {
            return new ScheduleResult(null, processed, feasible.Count, failures, preScore, nodes.Count);
        }

        long[] scores = profile.RunScore(state, pod, feasible);
        return new ScheduleResult(feasible[SelectHost(scores)].Name, processed, feasible.Count, failures, null, nodes.Count);
    }

    /// <summary>
    /// Filters as Kubernetes does when pods are nominated to the node: once as if the nominated pods that outrank this
    /// one were already there (they must still fit after it), and once without them (affinity to them must not count,
    /// as they may never arrive). Both passes must succeed.
    /// </summary>
    private static Status FilterWithNominated(Profile profile, CycleState state, V1Pod pod, NodeInfo node, int priority, string key)
    {
        List<PodInfo> nominated = profile.Handle.Nominator.On(node.Name, priority, key);
        if (nominated.Count == 0)
        {
            return profile.RunFilter(state, pod, node);
        }

        NodeInfo withNominated = node.Clone();
        CycleState stateWithNominated = state.Clone();
        foreach (PodInfo other in nominated)
        {
            withNominated.AddPod(other);
            profile.RunPreFilterExtensions(stateWithNominated, pod, other, withNominated, add: true);
        }

        Status first = profile.RunFilter(stateWithNominated, pod, withNominated);
        return first.IsSuccess ? profile.RunFilter(state, pod, node) : first;
    }

    /// <summary>The index of the highest score, a random one among equals (reservoir sampling).</summary>
    private static int SelectHost(long[] scores)
    {
        int best = 0;
        int ties = 1;
        for (int i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
                ties = 1;
            }
            else if (scores[i] == scores[best] && Random.Shared.Next(++ties) == 0)
            {
                best = i;
            }
        }

        return best;
    }
}
