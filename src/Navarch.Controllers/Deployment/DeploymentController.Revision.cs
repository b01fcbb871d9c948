using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Deployment;

public sealed partial class DeploymentController
{
    /// <summary>
    /// Finds (or, when <paramref name="create"/>, makes) the ReplicaSet of the current template, gives it the newest
    /// revision number and the replica annotations, and records the revision on the Deployment.
    /// </summary>
    private async Task<(V1ReplicaSet? New, List<V1ReplicaSet> Old)> NewAndOldAsync(V1Deployment d, List<V1ReplicaSet> owned, bool create, CancellationToken cancellationToken)
    {
        V1ReplicaSet? existing = FindNew(d, owned);
        List<V1ReplicaSet> old = owned.Where(rs => rs != existing).ToList();
        long revision = old.Select(Revisions.Of).DefaultIfEmpty(0).Max() + 1;
        V1ReplicaSet? current = existing is not null
            ? await SyncRevisionAsync(d, existing, revision, cancellationToken)
            : create ? await CreateNewAsync(d, old, revision, cancellationToken) : null;
        if (current is not null)
        {
            await RecordRevisionAsync(d, Revisions.Of(current), cancellationToken);
        }

        return (current, old);
    }

    private async Task<V1ReplicaSet> SyncRevisionAsync(V1Deployment d, V1ReplicaSet rs, long revision, CancellationToken cancellationToken)
    {
        V1ReplicaSet copy = ModelCopies.Copy(rs);
        copy.Metadata.Annotations ??= new Dictionary<string, string>();
        long had = Revisions.Of(rs);
        bool changed = false;
        foreach ((string k, string v) in Revisions.CopiedAnnotations(d))
        {
            changed |= Revisions.Set(copy.Metadata.Annotations, k, v);
        }

        if (had < revision)
        {
            // A rollback reuses an old ReplicaSet: it takes the newest number and remembers the ones it had.
            if (had > 0)
            {
                string history = copy.Metadata.Annotations.TryGetValue(Revisions.RevisionHistoryAnnotation, out string? h) && h.Length > 0 ? $"{h},{had}" : had.ToString(CultureInfo.InvariantCulture);
                copy.Metadata.Annotations[Revisions.RevisionHistoryAnnotation] = history;
            }

            copy.Metadata.Annotations[Revisions.RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
            changed = true;
        }

        // The replica annotations are left to scaling: proportional scaling reads the sizes they record.
        if (copy.Spec.MinReadySeconds != d.Spec.MinReadySeconds)
        {
            copy.Spec.MinReadySeconds = d.Spec.MinReadySeconds;
            changed = true;
        }

        V1ReplicaSet result = changed
            ? await Client.AppsV1.ReplaceNamespacedReplicaSetAsync(copy, rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken)
            : rs;
        if (ProgressingCondition(d) is null && HasProgressDeadline(d))
        {
            SetCondition(d.Status ??= new V1DeploymentStatus(), "Progressing", "True", FoundNewReplicaSet, $"Found new replica set \"{rs.Metadata.Name}\"");
            d.Status.ObservedGeneration = d.Metadata.Generation;
            await WriteStatusAsync(d, d.Status, cancellationToken);
        }

        return result;
    }

    private async Task<V1ReplicaSet?> CreateNewAsync(V1Deployment d, List<V1ReplicaSet> old, long revision, CancellationToken cancellationToken)
    {
        string hash = Revisions.TemplateHash(d.Spec.Template, d.Status?.CollisionCount);
        V1PodTemplateSpec template = ModelCopies.Copy(d.Spec.Template);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels ??= new Dictionary<string, string>();
        template.Metadata.Labels[Revisions.HashLabel] = hash;
        V1LabelSelector selector = ModelCopies.Copy(d.Spec.Selector);
        selector.MatchLabels ??= new Dictionary<string, string>();
        selector.MatchLabels[Revisions.HashLabel] = hash;
        Dictionary<string, string> annotations = Revisions.CopiedAnnotations(d);
        annotations[Revisions.RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
        var rs = new V1ReplicaSet
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{d.Metadata.Name}-{hash}",
                NamespaceProperty = d.Metadata.NamespaceProperty,
                Labels = new Dictionary<string, string>(template.Metadata.Labels),
                Annotations = annotations,
                OwnerReferences = [ControllerReference(d)],
            },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = 0,
                MinReadySeconds = d.Spec.MinReadySeconds,
                Selector = selector,
                Template = template,
            },
        };
        Revisions.SetReplicaAnnotations(rs, d);
        rs.Spec.Replicas = NewReplicaSetReplicas(d, old, null);
        try
        {
            V1ReplicaSet created = await Client.AppsV1.CreateNamespacedReplicaSetAsync(rs, d.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            if (rs.Spec.Replicas > 0)
            {
                _events.Event(d, "Normal", "ScalingReplicaSet", $"Scaled up replica set {rs.Metadata.Name} from 0 to {rs.Spec.Replicas}");
            }

            if (HasProgressDeadline(d))
            {
                d.Status ??= new V1DeploymentStatus();
                SetCondition(d.Status, "Progressing", "True", NewReplicaSetCreated, $"Created new replica set \"{rs.Metadata.Name}\"");
                d.Status.ObservedGeneration = d.Metadata.Generation;
                await WriteStatusAsync(d, d.Status, cancellationToken);
            }

            return created;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            V1ReplicaSet clash = await Client.AppsV1.ReadNamespacedReplicaSetAsync(rs.Metadata.Name, d.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            if (ControllerOf(clash.Metadata, "Deployment")?.Uid == d.Metadata.Uid && Revisions.TemplateEquals(clash.Spec.Template, d.Spec.Template))
            {
                // Ours, created by an earlier sync the informer has not shown yet.
                return clash;
            }

            // A hash collision: count it so the next hash differs, and try again.
            d.Status ??= new V1DeploymentStatus();
            d.Status.CollisionCount = (d.Status.CollisionCount ?? 0) + 1;
            await WriteStatusAsync(d, d.Status, cancellationToken);
            throw;
        }
    }

    /// <summary>Keeps the Deployment's own revision annotation equal to its newest ReplicaSet's (kubectl describe shows it).</summary>
    private async Task RecordRevisionAsync(V1Deployment d, long revision, CancellationToken cancellationToken)
    {
        string value = revision.ToString(CultureInfo.InvariantCulture);
        if (d.Metadata.Annotations?.TryGetValue(Revisions.RevisionAnnotation, out string? have) == true && have == value)
        {
            return;
        }

        string patch = $"{{\"metadata\":{{\"annotations\":{{\"{Revisions.RevisionAnnotation}\":\"{value}\"}}}}}}";
        V1Deployment patched = await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), d.Metadata.Name, d.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        // All of the stored metadata, not just the version: a status write carrying stale labels would undo others' changes.
        d.Metadata = patched.Metadata;
    }

    /// <summary>
    /// How big the new ReplicaSet may be now: for RollingUpdate as much as maxSurge allows on top of every pod the
    /// older ReplicaSets still have, capped at replicas; for Recreate all of them.
    /// </summary>
    private static int NewReplicaSetReplicas(V1Deployment d, List<V1ReplicaSet> old, V1ReplicaSet? current)
    {
        int replicas = d.Spec.Replicas ?? 1;
        int have = current?.Spec.Replicas ?? 0;
        if (d.Spec.Strategy?.Type == "Recreate")
        {
            return replicas;
        }

        int total = old.Sum(rs => rs.Spec.Replicas ?? 0) + have;
        int maxTotal = replicas + Revisions.Fenceposts(d).Surge;
        if (total >= maxTotal)
        {
            return have;
        }

        return have + Math.Max(0, Math.Min(maxTotal - total, replicas - have));
    }
}
