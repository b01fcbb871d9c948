using k8s;
using k8s.Models;

namespace Navarch.Controllers.Deployment;

public sealed partial class DeploymentController
{
    /// <summary>RollingUpdate: grow the new ReplicaSet within maxSurge, shrink the old ones within maxUnavailable.</summary>
    private async Task RolloutRollingAsync(V1Deployment d, List<V1ReplicaSet> owned, CancellationToken cancellationToken)
    {
        (V1ReplicaSet? created, List<V1ReplicaSet> old) = await NewAndOldAsync(d, owned, create: true, cancellationToken);
        V1ReplicaSet newRs = created!;
        int replicas = d.Spec.Replicas ?? 1;

        int newSize = (newRs.Spec.Replicas ?? 0) > replicas ? replicas : NewReplicaSetReplicas(d, old, newRs);
        if (newSize != (newRs.Spec.Replicas ?? 0))
        {
            newRs = await ScaleAsync(newRs, newSize, d, cancellationToken);
            await SyncRolloutStatusAsync(d, old, newRs, cancellationToken);
            return;
        }

        if (await ScaleDownOldAsync(d, old, newRs, cancellationToken))
        {
            await SyncRolloutStatusAsync(d, old, newRs, cancellationToken);
            return;
        }

        if (IsComplete(d, CalculateStatus(d, old, newRs)))
        {
            await CleanUpAsync(d, old, cancellationToken);
        }

        await SyncRolloutStatusAsync(d, old, newRs, cancellationToken);
    }

    /// <summary>
    /// Shrinks old ReplicaSets as far as maxUnavailable allows: first pods that are not available anyway, then
    /// available ones, oldest ReplicaSet first. Replaces the entries of <paramref name="old"/> it wrote.
    /// </summary>
    private async Task<bool> ScaleDownOldAsync(V1Deployment d, List<V1ReplicaSet> old, V1ReplicaSet newRs, CancellationToken cancellationToken)
    {
        if (old.Sum(rs => rs.Spec.Replicas ?? 0) == 0)
        {
            return false;
        }

        int replicas = d.Spec.Replicas ?? 1;
        int minAvailable = replicas - Revisions.Fenceposts(d).Unavailable;
        int allPods = old.Sum(rs => rs.Spec.Replicas ?? 0) + (newRs.Spec.Replicas ?? 0);
        int newUnavailable = (newRs.Spec.Replicas ?? 0) - Available(newRs);
        int maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return false;
        }

        int scaled = 0;
        List<int> order = Enumerable.Range(0, old.Count).OrderBy(i => old[i].Metadata.CreationTimestamp).ToList();

        // Pods that are not available cost no availability to remove.
        foreach (int i in order)
        {
            int size = old[i].Spec.Replicas ?? 0;
            int unhealthy = size - Available(old[i]);
            int remove = Math.Min(maxScaledDown - scaled, unhealthy);
            if (remove > 0)
            {
                old[i] = await ScaleAsync(old[i], size - remove, d, cancellationToken);
                scaled += remove;
            }
        }

        int available = old.Sum(Available) + Available(newRs);
        int budget = Math.Min(available - minAvailable, maxScaledDown - scaled);
        foreach (int i in order)
        {
            int size = old[i].Spec.Replicas ?? 0;
            int remove = Math.Min(budget, size);
            if (remove > 0)
            {
                old[i] = await ScaleAsync(old[i], size - remove, d, cancellationToken);
                budget -= remove;
                scaled += remove;
            }
        }

        return scaled > 0;
    }

    /// <summary>Recreate: every old pod gone first, then the new ReplicaSet at full size.</summary>
    private async Task RolloutRecreateAsync(V1Deployment d, List<V1ReplicaSet> owned, CancellationToken cancellationToken)
    {
        (V1ReplicaSet? newRs, List<V1ReplicaSet> old) = await NewAndOldAsync(d, owned, create: false, cancellationToken);
        bool scaledDown = false;
        for (int i = 0; i < old.Count; i++)
        {
            if ((old[i].Spec.Replicas ?? 0) > 0)
            {
                old[i] = await ScaleAsync(old[i], 0, d, cancellationToken);
                scaledDown = true;
            }
        }

        if (scaledDown || OldPodsRunning(old))
        {
            await SyncRolloutStatusAsync(d, old, newRs, cancellationToken);
            return;
        }

        if (newRs is null)
        {
            (newRs, old) = await NewAndOldAsync(d, owned, create: true, cancellationToken);
        }

        newRs = await ScaleAsync(newRs!, d.Spec.Replicas ?? 1, d, cancellationToken);
        if (IsComplete(d, CalculateStatus(d, old, newRs)))
        {
            await CleanUpAsync(d, old, cancellationToken);
        }

        await SyncRolloutStatusAsync(d, old, newRs, cancellationToken);
    }

    /// <summary>Whether any pod of an old ReplicaSet still runs (or may: only Succeeded and Failed pods are done).</summary>
    private bool OldPodsRunning(List<V1ReplicaSet> old)
    {
        if (old.Any(rs => (rs.Status?.Replicas ?? 0) > 0))
        {
            return true;
        }

        var uids = old.Select(rs => rs.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        string ns = old.FirstOrDefault()?.Metadata.NamespaceProperty ?? "";
        return _pods.Store.List(ns).Any(p => ControllerOf(p.Metadata, "ReplicaSet") is { } o && uids.Contains(o.Uid) && p.Status?.Phase is not ("Succeeded" or "Failed"));
    }

    /// <summary>Paused, or a scale change mid-rollout: resize the ReplicaSets in proportion, without rolling.</summary>
    private async Task SyncScaleAsync(V1Deployment d, List<V1ReplicaSet> owned, CancellationToken cancellationToken)
    {
        (V1ReplicaSet? newRs, List<V1ReplicaSet> old) = await NewAndOldAsync(d, owned, create: false, cancellationToken);
        await ScaleProportionallyAsync(d, newRs, old, cancellationToken);
        if (d.Spec.Paused == true)
        {
            await CleanUpAsync(d, old, cancellationToken);
        }

        await SyncStatusAsync(d, old, newRs, cancellationToken);
    }

    private async Task ScaleProportionallyAsync(V1Deployment d, V1ReplicaSet? newRs, List<V1ReplicaSet> old, CancellationToken cancellationToken)
    {
        int replicas = d.Spec.Replicas ?? 1;
        List<V1ReplicaSet> all = (newRs is null ? old : [newRs, .. old]).ToList();
        List<V1ReplicaSet> active = all.Where(rs => (rs.Spec.Replicas ?? 0) > 0).ToList();

        // One active ReplicaSet (or none): it simply takes every replica.
        if (active.Count <= 1)
        {
            V1ReplicaSet? only = active.FirstOrDefault() ?? newRs ?? old.OrderByDescending(rs => rs.Metadata.CreationTimestamp).FirstOrDefault();
            if (only is not null)
            {
                await ScaleAsync(only, replicas, d, cancellationToken);
            }

            return;
        }

        // The new ReplicaSet already has everything: the old ones go.
        if (newRs is not null && newRs.Spec.Replicas == replicas && Revisions.DesiredReplicas(newRs) == replicas && Available(newRs) == replicas)
        {
            foreach (V1ReplicaSet rs in old.Where(rs => (rs.Spec.Replicas ?? 0) > 0))
            {
                await ScaleAsync(rs, 0, d, cancellationToken);
            }

            return;
        }

        if (d.Spec.Strategy?.Type == "Recreate")
        {
            return;
        }

        int allowed = replicas > 0 ? replicas + Revisions.Fenceposts(d).Surge : 0;
        int toAdd = allowed - active.Sum(rs => rs.Spec.Replicas ?? 0);
        // Growing favours the larger (then newer) ReplicaSets, shrinking the larger (then older) ones.
        active = toAdd > 0
            ? active.OrderByDescending(rs => rs.Spec.Replicas ?? 0).ThenByDescending(rs => rs.Metadata.CreationTimestamp).ToList()
            : active.OrderByDescending(rs => rs.Spec.Replicas ?? 0).ThenBy(rs => rs.Metadata.CreationTimestamp).ToList();
        var sizes = new int[active.Count];
        int added = 0;
        for (int i = 0; i < active.Count; i++)
        {
            int size = active[i].Spec.Replicas ?? 0;
            int proportion = Proportion(active[i], d, toAdd, added);
            sizes[i] = size + proportion;
            added += proportion;
        }

        sizes[0] = Math.Max(0, sizes[0] + toAdd - added);
        for (int i = 0; i < active.Count; i++)
        {
            await ScaleAsync(active[i], sizes[i], d, cancellationToken);
        }
    }

    /// <summary>A ReplicaSet's share of a change of <paramref name="toAdd"/> replicas, by the size it was given for its max-replicas.</summary>
    private static int Proportion(V1ReplicaSet rs, V1Deployment d, int toAdd, int added)
    {
        int size = rs.Spec.Replicas ?? 0;
        if (size == 0 || toAdd == 0 || toAdd == added)
        {
            return 0;
        }

        int replicas = d.Spec.Replicas ?? 1;
        int fraction;
        if (replicas == 0)
        {
            fraction = -size;
        }
        else
        {
            int deploymentMax = replicas + Revisions.Fenceposts(d).Surge;
            int annotatedMax = Revisions.MaxReplicas(rs) ?? d.Status?.Replicas ?? deploymentMax;
            fraction = annotatedMax == 0 ? 0 : (int)Math.Round((double)size * deploymentMax / annotatedMax, MidpointRounding.AwayFromZero) - size;
        }

        int allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    /// <summary>Deletes the oldest empty ReplicaSets beyond revisionHistoryLimit.</summary>
    private async Task CleanUpAsync(V1Deployment d, List<V1ReplicaSet> old, CancellationToken cancellationToken)
    {
        if (d.Spec.RevisionHistoryLimit is not { } limit)
        {
            return;
        }

        List<V1ReplicaSet> cleanable = old.Where(rs => rs.Metadata.DeletionTimestamp is null).OrderBy(Revisions.Of).ToList();
        int surplus = cleanable.Count - limit;
        foreach (V1ReplicaSet rs in cleanable.Take(Math.Max(0, surplus)))
        {
            if ((rs.Status?.Replicas ?? 0) != 0 || (rs.Spec.Replicas ?? 0) != 0 || rs.Metadata.Generation > (rs.Status?.ObservedGeneration ?? 0))
            {
                continue;
            }

            try
            {
                await Client.AppsV1.DeleteNamespacedReplicaSetAsync(rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>Available pods of a ReplicaSet, never more than it is sized for (its status may lag a scale-down).</summary>
    private static int Available(V1ReplicaSet rs) => Math.Min(rs.Status?.AvailableReplicas ?? 0, rs.Spec.Replicas ?? 0);
}
