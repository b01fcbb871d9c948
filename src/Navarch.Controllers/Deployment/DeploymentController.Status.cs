using k8s;
using k8s.Models;

namespace Navarch.Controllers.Deployment;

public sealed partial class DeploymentController
{
    // Condition reasons, as kube-controller-manager writes them (kubectl rollout status reads ProgressDeadlineExceeded).
    private const string NewReplicaSetCreated = "NewReplicaSetCreated";
    private const string FoundNewReplicaSet = "FoundNewReplicaSet";
    private const string ReplicaSetUpdated = "ReplicaSetUpdated";
    private const string NewReplicaSetAvailable = "NewReplicaSetAvailable";
    private const string ProgressDeadlineExceeded = "ProgressDeadlineExceeded";
    private const string DeploymentPaused = "DeploymentPaused";
    private const string DeploymentResumed = "DeploymentResumed";

    private static bool HasProgressDeadline(V1Deployment d) => d.Spec.ProgressDeadlineSeconds is { } s && s != int.MaxValue;

    private static V1DeploymentCondition? ProgressingCondition(V1Deployment d) => d.Status?.Conditions?.FirstOrDefault(c => c.Type == "Progressing");

    /// <summary>The status the ReplicaSets add up to, with the Available condition; other conditions carried over.</summary>
    private V1DeploymentStatus CalculateStatus(V1Deployment d, List<V1ReplicaSet> old, V1ReplicaSet? newRs)
    {
        List<V1ReplicaSet> all = newRs is null ? old : [newRs, .. old];
        int replicas = d.Spec.Replicas ?? 1;
        int available = all.Sum(rs => rs.Status?.AvailableReplicas ?? 0);
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = d.Metadata.Generation,
            Replicas = all.Sum(rs => rs.Status?.Replicas ?? 0),
            UpdatedReplicas = newRs?.Status?.Replicas ?? 0,
            ReadyReplicas = all.Sum(rs => rs.Status?.ReadyReplicas ?? 0),
            AvailableReplicas = available,
            UnavailableReplicas = Math.Max(0, all.Sum(rs => rs.Spec.Replicas ?? 0) - available),
            CollisionCount = d.Status?.CollisionCount,
            Conditions = d.Status?.Conditions?.Select(ModelCopies.Copy).ToList(),
        };
        if (available >= replicas - Revisions.Fenceposts(d).Unavailable)
        {
            SetCondition(status, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
        }
        else
        {
            SetCondition(status, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.");
        }

        return status;
    }

    /// <summary>Every replica is of the new template and available, and the controller has seen the latest spec.</summary>
    private static bool IsComplete(V1Deployment d, V1DeploymentStatus status)
    {
        int replicas = d.Spec.Replicas ?? 1;
        return status.UpdatedReplicas == replicas && status.Replicas == replicas && status.AvailableReplicas == replicas
            && status.ObservedGeneration >= d.Metadata.Generation;
    }

    private static bool IsProgressing(V1Deployment d, V1DeploymentStatus status)
    {
        V1DeploymentStatus before = d.Status ?? new V1DeploymentStatus();
        int oldBefore = (before.Replicas ?? 0) - (before.UpdatedReplicas ?? 0);
        int oldNow = (status.Replicas ?? 0) - (status.UpdatedReplicas ?? 0);
        return (status.UpdatedReplicas ?? 0) > (before.UpdatedReplicas ?? 0) || oldNow < oldBefore
            || (status.ReadyReplicas ?? 0) > (before.ReadyReplicas ?? 0) || (status.AvailableReplicas ?? 0) > (before.AvailableReplicas ?? 0);
    }

    private bool IsTimedOut(V1Deployment d, V1DeploymentStatus status)
    {
        if (!HasProgressDeadline(d) || status.Conditions?.FirstOrDefault(c => c.Type == "Progressing") is not { } progressing || progressing.Reason == NewReplicaSetAvailable)
        {
            return false;
        }

        return progressing.Reason == ProgressDeadlineExceeded
            || (progressing.LastUpdateTime is { } since && ModelCopies.Utc(since).AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) < Time.GetUtcNow());
    }

    /// <summary>Status without judging progress: for paused Deployments, scale changes and Deployments being deleted.</summary>
    private async Task SyncStatusAsync(V1Deployment d, List<V1ReplicaSet> old, V1ReplicaSet? newRs, CancellationToken cancellationToken) =>
        await WriteStatusAsync(d, CalculateStatus(d, old, newRs), cancellationToken);

    /// <summary>Status with the Progressing condition: complete, progressing, or past its deadline.</summary>
    private async Task SyncRolloutStatusAsync(V1Deployment d, List<V1ReplicaSet> old, V1ReplicaSet? newRs, CancellationToken cancellationToken)
    {
        V1DeploymentStatus status = CalculateStatus(d, old, newRs);
        if (!HasProgressDeadline(d))
        {
            RemoveCondition(status, "Progressing");
        }
        else
        {
            V1DeploymentCondition? current = status.Conditions?.FirstOrDefault(c => c.Type == "Progressing");
            bool alreadyComplete = status.Replicas == status.UpdatedReplicas && current?.Reason == NewReplicaSetAvailable;
            string rsName = newRs?.Metadata.Name ?? d.Metadata.Name;
            if (!alreadyComplete)
            {
                if (IsComplete(d, status))
                {
                    SetCondition(status, "Progressing", "True", NewReplicaSetAvailable, $"ReplicaSet \"{rsName}\" has successfully progressed.");
                }
                else if (IsProgressing(d, status))
                {
                    DateTime? since = current?.Status == "True" ? current.LastTransitionTime : null;
                    RemoveCondition(status, "Progressing");
                    SetCondition(status, "Progressing", "True", ReplicaSetUpdated, $"ReplicaSet \"{rsName}\" is progressing.");
                    if (since is not null)
                    {
                        status.Conditions![^1].LastTransitionTime = since;
                    }
                }
                else if (IsTimedOut(d, status))
                {
                    SetCondition(status, "Progressing", "False", ProgressDeadlineExceeded, $"ReplicaSet \"{rsName}\" has timed out progressing.");
                }
            }
        }

        await WriteStatusAsync(d, status, cancellationToken);
        RequeueIfStuck(d, status);
    }

    /// <summary>A rollout that makes no progress is looked at again when its deadline passes.</summary>
    private void RequeueIfStuck(V1Deployment d, V1DeploymentStatus status)
    {
        if (!HasProgressDeadline(d) || IsComplete(d, status) || status.Conditions?.FirstOrDefault(c => c.Type == "Progressing") is not { } progressing
            || progressing.Reason is ProgressDeadlineExceeded or NewReplicaSetAvailable || progressing.LastUpdateTime is not { } since)
        {
            return;
        }

        TimeSpan after = ModelCopies.Utc(since).AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) - Time.GetUtcNow();
        Queue.AddAfter(Navarch.Client.Informers.ObjectKeys.KeyOf(d), after < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : after);
    }

    /// <summary>Paused and resumed show on the Progressing condition, which restarts the deadline on resume.</summary>
    private async Task CheckPausedConditionAsync(V1Deployment d, CancellationToken cancellationToken)
    {
        if (!HasProgressDeadline(d))
        {
            return;
        }

        bool pausedShown = ProgressingCondition(d)?.Reason == DeploymentPaused;
        bool paused = d.Spec.Paused == true;
        if (paused == pausedShown)
        {
            return;
        }

        V1DeploymentStatus status = ModelCopies.Copy(d.Status ?? new V1DeploymentStatus());
        if (paused)
        {
            SetCondition(status, "Progressing", "Unknown", DeploymentPaused, "Deployment is paused");
        }
        else
        {
            SetCondition(status, "Progressing", "Unknown", DeploymentResumed, "Deployment is resumed");
        }

        await WriteStatusAsync(d, status, cancellationToken);
    }

    /// <summary>
    /// Sets a condition the Kubernetes way: unchanged when status and reason are the same; keeps its transition time
    /// when only the reason changes.
    /// </summary>
    private void SetCondition(V1DeploymentStatus status, string type, string conditionStatus, string reason, string message)
    {
        status.Conditions ??= [];
        V1DeploymentCondition? current = status.Conditions.FirstOrDefault(c => c.Type == type);
        if (current is not null && current.Status == conditionStatus && current.Reason == reason)
        {
            return;
        }

        DateTime now = ModelCopies.Now(Time);
        var condition = new V1DeploymentCondition
        {
            Type = type,
            Status = conditionStatus,
            Reason = reason,
            Message = message,
            LastUpdateTime = now,
            LastTransitionTime = current is not null && current.Status == conditionStatus ? current.LastTransitionTime : now,
        };
        RemoveCondition(status, type);
        status.Conditions.Add(condition);
    }

    private static void RemoveCondition(V1DeploymentStatus status, string type)
    {
        if (status.Conditions?.FirstOrDefault(c => c.Type == type) is { } existing)
        {
            status.Conditions.Remove(existing);
        }
    }

    /// <summary>Writes status through the status subresource unless it is what is stored; the Deployment copy takes it.</summary>
    private async Task WriteStatusAsync(V1Deployment d, V1DeploymentStatus status, CancellationToken cancellationToken)
    {
        if (Navarch.Api.KubernetesSerialization.JsonEquals(status, d.Status))
        {
            return;
        }

        d.Status = status;
        V1Deployment stored = await Client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(d, d.Metadata.Name, d.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        d.Metadata = stored.Metadata;
    }

}
