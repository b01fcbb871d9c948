using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.DefaultPreemption;

/// <summary>
/// When the pod fits nowhere: on each node that rejected it for a reason eviction could fix, remove every pod of lower
/// priority, check the pod fits, then give back as many of them as still let it fit — PDB-protected and
/// higher-priority pods first. Choose the node that breaks the fewest PDBs, then whose most important victim is
/// least important, then with the least total victim priority, then the fewest victims; nominate it on the pod and
/// delete the victims. The pod is tried again once they are gone.
/// </summary>
internal sealed class DefaultPreemptionPlugin(FrameworkHandle handle) : IPostFilterPlugin
{
    public const string PluginName = "DefaultPreemption";
    public const string NotHelpful = "Preemption is not helpful for scheduling";
    public const string NoVictims = "No preemption victims found for incoming pod";

    public string Name => PluginName;

    public async Task<PostFilterResult> PostFilterAsync(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filterFailures, CancellationToken cancellationToken)
    {
        if (pod.Spec.PreemptionPolicy == "Never")
        {
            return new PostFilterResult(null, Status.Unresolvable("not eligible due to preemptionPolicy=Never."));
        }

        // Victims of an earlier preemption are still terminating on the nominated node: wait for them, evict no more.
        if (pod.Status?.NominatedNodeName is { Length: > 0 } nominated && handle.Snapshot.Get(nominated) is { } node
            && node.Pods.Any(p => p.Pod.Metadata.DeletionTimestamp is not null && handle.PriorityOf(p.Pod) < handle.PriorityOf(pod)))
        {
            return new PostFilterResult(null, Status.Unschedulable("preemption: not eligible due to a terminating pod on the nominated node."));
        }

        (PreemptionCandidate? best, string message) = FindCandidate(state, pod, filterFailures);
        if (best is null)
        {
            return new PostFilterResult(null, Status.Unschedulable(message));
        }

        if (handle.Client is { } client)
        {
            string patch = $"{{\"status\":{{\"nominatedNodeName\":\"{best.NodeName}\"}}}}";
            try
            {
                await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (PodInfo victim in best.Victims)
                {
                    await client.CoreV1.DeleteNamespacedPodAsync(victim.Pod.Metadata.Name, victim.Pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // A victim or the pod is already gone: the next attempt sees the new state.
            }
        }

        return new PostFilterResult(best.NodeName, Status.Success);
    }

    /// <summary>The best candidate, or none and the summary of why (for the FailedScheduling message).</summary>
    public (PreemptionCandidate? Best, string Message) FindCandidate(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filterFailures)
    {
        Profile profile = handle.Profile ?? throw new InvalidOperationException("preemption needs its profile");
        int priority = handle.PriorityOf(pod);
        IReadOnlyList<V1PodDisruptionBudget> budgets = handle.DisruptionBudgets();
        var candidates = new List<PreemptionCandidate>();
        int notHelpful = 0;
        int noVictims = 0;
        foreach (NodeInfo node in handle.Snapshot.Nodes)
        {
            if (filterFailures.TryGetValue(node.Name, out Status? failure) && failure.Code == StatusCode.UnschedulableAndUnresolvable)
            {
                notHelpful++;
                continue;
            }

            PreemptionCandidate? c = SelectVictims(profile, state, pod, priority, node, budgets);
            if (c is null)
            {
                noVictims++;
            }
            else
            {
                candidates.Add(c);
            }
        }

        PreemptionCandidate? best = candidates
            .OrderBy(c => c.PdbViolations)
            .ThenBy(c => c.Victims.Max(v => handle.PriorityOf(v.Pod)))
            .ThenBy(c => c.Victims.Sum(v => (long)handle.PriorityOf(v.Pod)))
            .ThenBy(c => c.Victims.Count)
            .FirstOrDefault();
        var parts = new List<string>();
        if (noVictims > 0)
        {
            parts.Add($"{noVictims} {NoVictims}");
        }

        if (notHelpful > 0)
        {
            parts.Add($"{notHelpful} {NotHelpful}");
        }

        parts.Sort(StringComparer.Ordinal);
        return (best, $"preemption: 0/{handle.Snapshot.Nodes.Count} nodes are available: {string.Join(", ", parts)}.");
    }

    private PreemptionCandidate? SelectVictims(Profile profile, CycleState state, V1Pod pod, int priority, NodeInfo node, IReadOnlyList<V1PodDisruptionBudget> budgets)
    {
        List<PodInfo> lower = node.Pods.Where(p => p.Pod.Metadata.DeletionTimestamp is null && handle.PriorityOf(p.Pod) < priority).ToList();
        if (lower.Count == 0)
        {
            return null;
        }

        NodeInfo trial = node.Clone();
        CycleState what = state.Clone();
        foreach (PodInfo p in lower)
        {
            trial.RemovePod(p.Key);
            profile.RunPreFilterExtensions(what, pod, p, trial, add: false);
        }

        if (!profile.RunFilter(what, pod, trial).IsSuccess)
        {
            return null;
        }

        // Reprieve as many as possible: PDB-protected first, each group most important first.
        var allowed = budgets.ToDictionary(b => b, b => b.Status?.DisruptionsAllowed ?? 0);
        var violating = new List<PodInfo>();
        var safe = new List<PodInfo>();
        foreach (PodInfo p in lower.OrderByDescending(p => handle.PriorityOf(p.Pod)))
        {
            List<V1PodDisruptionBudget> covering = budgets.Where(b => b.Metadata.NamespaceProperty == p.Pod.Metadata.NamespaceProperty && LabelSelectors.Matches(b.Spec.Selector, p.Pod.Metadata.Labels)).ToList();
            bool breaks = covering.Any(b => allowed[b] <= 0);
            covering.ForEach(b => allowed[b]--);
            (breaks ? violating : safe).Add(p);
        }

        var victims = new List<PodInfo>();
        int violations = 0;
        foreach ((PodInfo p, bool breaks) in violating.Select(p => (p, true)).Concat(safe.Select(p => (p, false))))
        {
            trial.AddPod(p);
            profile.RunPreFilterExtensions(what, pod, p, trial, add: true);
            if (!profile.RunFilter(what, pod, trial).IsSuccess)
            {
                trial.RemovePod(p.Key);
                profile.RunPreFilterExtensions(what, pod, p, trial, add: false);
                victims.Add(p);
                violations += breaks ? 1 : 0;
            }
        }

        return victims.Count == 0 ? null : new PreemptionCandidate(node.Name, victims, violations);
    }
}
