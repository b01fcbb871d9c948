using k8s.Models;

namespace Navarch.Controllers.Job;

/// <summary>What the Job, CronJob and TTL-after-finished controllers read from a Job's conditions.</summary>
internal static class JobConditions
{
    /// <summary>The condition of <paramref name="type"/> when its status is True, else null.</summary>
    public static V1JobCondition? TrueCondition(V1Job job, string type) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type == type && c.Status == "True");

    /// <summary>The finishing condition (Complete or Failed) of a finished Job, else null.</summary>
    public static V1JobCondition? Finished(V1Job job) => TrueCondition(job, "Complete") ?? TrueCondition(job, "Failed");

    /// <summary>When a finished Job finished: its completionTime, else its finishing condition's transition time.</summary>
    public static DateTimeOffset? FinishTime(V1Job job)
    {
        if (Finished(job) is not { } condition)
        {
            return null;
        }

        DateTime? at = condition.Type == "Complete" ? job.Status.CompletionTime ?? condition.LastTransitionTime : condition.LastTransitionTime;
        return at is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
    }

    /// <summary>Sets <paramref name="type"/> to <paramref name="status"/>, moving its transition time only when the status changes.</summary>
    public static void Set(V1JobStatus status, string type, string value, string reason, string message, DateTime now)
    {
        status.Conditions ??= [];
        V1JobCondition? existing = status.Conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            status.Conditions.Add(new V1JobCondition { Type = type, Status = value, Reason = reason, Message = message, LastProbeTime = now, LastTransitionTime = now });
            return;
        }

        if (existing.Status != value)
        {
            existing.LastTransitionTime = now;
        }

        existing.Status = value;
        existing.Reason = reason;
        existing.Message = message;
        existing.LastProbeTime = now;
    }
}
