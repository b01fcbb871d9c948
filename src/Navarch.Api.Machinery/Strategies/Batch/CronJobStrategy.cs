using k8s.Models;
using Navarch.Api.Strategies.Core;

namespace Navarch.Api.Strategies.Batch;

/// <summary>batch/v1 CronJob.</summary>
internal static class CronJobStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1CronJob> Create() => new()
    {
        HasStatus = true,
        Defaults = c =>
        {
            c.Spec ??= new V1CronJobSpec();
            c.Spec.ConcurrencyPolicy ??= "Allow";
            c.Spec.Suspend ??= false;
            c.Spec.SuccessfulJobsHistoryLimit ??= 3;
            c.Spec.FailedJobsHistoryLimit ??= 1;
            PodSpecDefaults.Apply(c.Spec.JobTemplate?.Spec?.Template?.Spec);
        },
        Validation = CronJobValidation.Validate,
        Columns =
        [
            new("Schedule", "string", "", "The schedule in Cron format."),
            new("Timezone", "string", "", "The time zone name for the given schedule."),
            new("Suspend", "boolean", "", "Whether subsequent executions are suspended."),
            new("Active", "integer", "", "A list of pointers to currently running jobs."),
            new("Last Schedule", "string", "", "Information when was the last time the job was successfully scheduled."),
            TableColumn.AgeColumn,
        ],
        Cells = (c, now) =>
        [
            c.Spec?.Schedule, c.Spec?.TimeZone ?? "<none>", c.Spec?.Suspend ?? false, c.Status?.Active?.Count ?? 0,
            c.Status?.LastScheduleTime is { } last ? Age.Of(last, now) : "<none>",
            Age.Of(c.Metadata.CreationTimestamp, now),
        ],
    };
}
