using System.Globalization;
using System.Net;
using Cronos;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Strategies.Batch;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Controllers.Job;

namespace Navarch.Controllers.CronJob;

/// <summary>
/// Starts Jobs on a cron schedule, the way kube-controller-manager's cronjob controller (v2) does: finds the most
/// recent schedule time not yet run (since the last one, or creation, bounded by <c>startingDeadlineSeconds</c>; more
/// than 100 missed runs are logged and only the latest started), honours <c>concurrencyPolicy</c> and
/// <c>suspend</c>, names each Job <c>&lt;cronjob&gt;-&lt;minutes since the epoch&gt;</c> so a run is created once,
/// keeps <c>status.active</c>, <c>lastScheduleTime</c> and <c>lastSuccessfulTime</c>, deletes finished Jobs beyond the
/// history limits, and puts the key back in the queue for the next schedule time.
/// </summary>
public sealed class CronJobController : QueueController
{
    /// <summary>The annotation recording the schedule time a Job was created for.</summary>
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

    private const int MaxMissedSchedules = 100;

    private readonly Informer<V1CronJob> _cronJobs;
    private readonly Informer<V1Job> _jobs;
    private readonly EventRecorder _events;

    /// <summary>Creates the controller over the shared CronJob and Job informers.</summary>
    public CronJobController(ControllerContext context)
        : base("cronjob", context)
    {
        _events = context.Recorder("cronjob-controller");
        _cronJobs = context.Informers.Get<V1CronJob>();
        _jobs = context.Informers.Get<V1Job>();
        _cronJobs.AddHandler(new ResourceEventHandler<V1CronJob>(Enqueue, (_, _) => { }));
        _jobs.AddHandler(new ResourceEventHandler<V1Job>(JobChanged, (job, _) => JobChanged(job)));
    }

    private static V1OwnerReference? ControllerOf(V1Job job) =>
        job.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "CronJob");

    private void JobChanged(V1Job job)
    {
        if (ControllerOf(job) is { } owner)
        {
            Queue.Add($"{job.Metadata.NamespaceProperty}/{owner.Name}");
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1CronJob? cronJob = _cronJobs.Store.Get(key);
        if (cronJob?.Spec is null)
        {
            return;
        }

        string ns = cronJob.Metadata.NamespaceProperty;
        DateTimeOffset now = Time.GetUtcNow();
        List<V1Job> jobs = _jobs.Store.List(ns).Where(j => ControllerOf(j)?.Uid == cronJob.Metadata.Uid).ToList();
        V1CronJobStatus status = cronJob.Status is null ? new V1CronJobStatus() : ModelCopies.Copy(cronJob.Status);
        List<V1ObjectReference> active = await ReconcileActiveAsync(cronJob, jobs, status, cancellationToken);

        if (cronJob.Metadata.DeletionTimestamp is null)
        {
            await CleanUpHistoryAsync(cronJob, jobs, cancellationToken);
        }

        if (cronJob.Metadata.DeletionTimestamp is not null || cronJob.Spec.Suspend == true || cronJob.Spec.JobTemplate is null)
        {
            await UpdateStatusAsync(key, cronJob, status, active, cancellationToken);
            return;
        }

        TimeZoneInfo zone;
        try
        {
            zone = cronJob.Spec.TimeZone is { Length: > 0 } id ? TimeZoneInfo.FindSystemTimeZoneById(id) : TimeZoneInfo.Local;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            Log.UnknownTimeZone(Logger, key, cronJob.Spec.TimeZone!);
            await UpdateStatusAsync(key, cronJob, status, active, cancellationToken);
            return;
        }

        if (CronSchedule.Parse(cronJob.Spec.Schedule) is not { } schedule)
        {
            Log.BadSchedule(Logger, key, cronJob.Spec.Schedule ?? "");
            await UpdateStatusAsync(key, cronJob, status, active, cancellationToken);
            return;
        }

        DateTimeOffset? scheduled = MostRecentUnmet(key, cronJob, schedule, zone, now);
        if (scheduled is { } at && !TooLate(cronJob, at, now) && MayStart(key, cronJob, active))
        {
            if (cronJob.Spec.ConcurrencyPolicy == "Replace")
            {
                foreach (V1ObjectReference reference in active.ToList())
                {
                    await DeleteJobAsync(cronJob, reference.Name, ns, cancellationToken);
                    active.Remove(reference);
                }
            }

            if (await CreateJobAsync(key, cronJob, at, zone, cancellationToken) is { } job)
            {
                if (JobConditions.Finished(job) is null && !active.Any(r => r.Uid == job.Metadata.Uid))
                {
                    active.Add(Reference(job));
                }

                status.LastScheduleTime = at.UtcDateTime;
            }
        }
        else if (scheduled is { } missed && TooLate(cronJob, missed, now))
        {
            Log.MissedDeadline(Logger, key, missed);
        }

        await UpdateStatusAsync(key, cronJob, status, active, cancellationToken);
        if (schedule.GetNextOccurrence(now, zone) is { } next)
        {
            // A little past the schedule time, so the next sync finds it due.
            Queue.AddAfter(key, next - now + TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>
    /// Brings <c>status.active</c> up to date with the owned Jobs: finished ones leave it (a completed one moves
    /// lastSuccessfulTime), running ones not listed join it, listed ones that no longer exist leave it.
    /// </summary>
    private async Task<List<V1ObjectReference>> ReconcileActiveAsync(V1CronJob cronJob, List<V1Job> jobs, V1CronJobStatus status, CancellationToken cancellationToken)
    {
        var active = (status.Active ?? []).ToList();
        foreach (V1Job job in jobs)
        {
            V1ObjectReference? listed = active.FirstOrDefault(r => r.Uid == job.Metadata.Uid);
            V1JobCondition? finished = JobConditions.Finished(job);
            if (listed is null && finished is null)
            {
                active.Add(Reference(job));
            }
            else if (listed is not null && finished is not null)
            {
                active.Remove(listed);
                if (finished.Type == "Complete" && job.Status.CompletionTime is { } completed
                    && (status.LastSuccessfulTime is not { } last || completed > last))
                {
                    status.LastSuccessfulTime = completed;
                }
            }
        }

        foreach (V1ObjectReference reference in active.Where(r => jobs.All(j => j.Metadata.Uid != r.Uid)).ToList())
        {
            // Not in the cache: perhaps just created and not seen yet. Only the API can say it is gone.
            try
            {
                V1Job live = await Client.BatchV1.ReadNamespacedJobAsync(reference.Name, cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
                if (live.Metadata.Uid != reference.Uid)
                {
                    active.Remove(reference);
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                active.Remove(reference);
            }
        }

        return active;
    }

    /// <summary>
    /// The latest schedule time after the last run (or creation), and after now − startingDeadlineSeconds, that is not
    /// after now; null when none is due.
    /// </summary>
    private DateTimeOffset? MostRecentUnmet(string key, V1CronJob cronJob, CronExpression schedule, TimeZoneInfo zone, DateTimeOffset now)
    {
        DateTime since = cronJob.Status?.LastScheduleTime ?? cronJob.Metadata.CreationTimestamp ?? now.UtcDateTime;
        DateTimeOffset earliest = ModelCopies.Utc(since);
        if (cronJob.Spec.StartingDeadlineSeconds is { } deadline && now - TimeSpan.FromSeconds(deadline) > earliest)
        {
            earliest = now - TimeSpan.FromSeconds(deadline);
        }

        DateTimeOffset? latest = null;
        int missed = 0;
        for (DateTimeOffset? t = schedule.GetNextOccurrence(earliest, zone); t is { } at && at <= now; t = schedule.GetNextOccurrence(at, zone))
        {
            latest = at;
            if (++missed > MaxMissedSchedules)
            {
                Log.TooManyMissed(Logger, key);
                return LatestBefore(schedule, zone, earliest, now);
            }
        }

        return latest;
    }

    /// <summary>The last occurrence in (earliest, now], searched in growing windows back from now.</summary>
    private static DateTimeOffset? LatestBefore(CronExpression schedule, TimeZoneInfo zone, DateTimeOffset earliest, DateTimeOffset now)
    {
        foreach (TimeSpan span in new[] { TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(32), TimeSpan.FromDays(367), TimeSpan.FromDays(3700) })
        {
            DateTimeOffset from = now - span > earliest ? now - span : earliest;
            DateTimeOffset? latest = null;
            for (DateTimeOffset? t = schedule.GetNextOccurrence(from, zone); t is { } at && at <= now; t = schedule.GetNextOccurrence(at, zone))
            {
                latest = at;
            }

            if (latest is not null || from == earliest)
            {
                return latest;
            }
        }

        return null;
    }

    private static bool TooLate(V1CronJob cronJob, DateTimeOffset scheduled, DateTimeOffset now) =>
        cronJob.Spec.StartingDeadlineSeconds is { } deadline && scheduled + TimeSpan.FromSeconds(deadline) < now;

    private bool MayStart(string key, V1CronJob cronJob, List<V1ObjectReference> active)
    {
        if (cronJob.Spec.ConcurrencyPolicy == "Forbid" && active.Count > 0)
        {
            // The run waits: when the active Job finishes, its update brings this key back while the time is still unmet.
            Log.ForbidSkip(Logger, key);
            return false;
        }

        return true;
    }

    /// <summary>Creates the Job for <paramref name="scheduled"/>; returns it (or the one already there), null when none could be.</summary>
    private async Task<V1Job?> CreateJobAsync(string key, V1CronJob cronJob, DateTimeOffset scheduled, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        V1JobTemplateSpec template = cronJob.Spec.JobTemplate;
        string name = $"{cronJob.Metadata.Name}-{(scheduled.ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture)}";
        var annotations = template.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : [];
        annotations[ScheduledTimestampAnnotation] = Rfc3339(TimeZoneInfo.ConvertTime(scheduled, zone));
        var job = new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = cronJob.Metadata.NamespaceProperty,
                Labels = template.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : null,
                Annotations = annotations,
                OwnerReferences =
                [
                    new V1OwnerReference { ApiVersion = "batch/v1", Kind = "CronJob", Name = cronJob.Metadata.Name, Uid = cronJob.Metadata.Uid, Controller = true, BlockOwnerDeletion = true },
                ],
            },
            Spec = ModelCopies.Copy(template.Spec),
        };
        try
        {
            V1Job created = await Client.BatchV1.CreateNamespacedJobAsync(job, cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            Log.Created(Logger, key, name);
            _events.Event(cronJob, "Normal", "SuccessfulCreate", $"Created job {name}");
            return created;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Created by an earlier sync whose status write was lost: the run happened.
            V1Job existing = await Client.BatchV1.ReadNamespacedJobAsync(name, cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            if (ControllerOf(existing)?.Uid == cronJob.Metadata.Uid)
            {
                return existing;
            }

            Log.NotOurs(Logger, key, name);
            return null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden)
        {
            Log.CreateFailed(Logger, key, e.Response.Content);
            return null;
        }
    }

    private static string Rfc3339(DateTimeOffset time) =>
        time.Offset == TimeSpan.Zero
            ? time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static V1ObjectReference Reference(V1Job job) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Name = job.Metadata.Name,
        NamespaceProperty = job.Metadata.NamespaceProperty,
        Uid = job.Metadata.Uid,
        ResourceVersion = job.Metadata.ResourceVersion,
    };

    /// <summary>Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit.</summary>
    private async Task CleanUpHistoryAsync(V1CronJob cronJob, List<V1Job> jobs, CancellationToken cancellationToken)
    {
        var finished = jobs.Where(j => j.Metadata.DeletionTimestamp is null).Select(j => (Job: j, Condition: JobConditions.Finished(j))).Where(x => x.Condition is not null).ToList();
        foreach ((string type, int? limit) in new[] { ("Complete", cronJob.Spec.SuccessfulJobsHistoryLimit), ("Failed", cronJob.Spec.FailedJobsHistoryLimit) })
        {
            if (limit is not { } keep)
            {
                continue;
            }

            // Oldest first by start time; a Job that never started counts as newest.
            List<V1Job> ofType = finished.Where(x => x.Condition!.Type == type).Select(x => x.Job)
                .OrderBy(j => j.Status?.StartTime is null ? 1 : 0)
                .ThenBy(j => j.Status?.StartTime)
                .ThenBy(j => j.Metadata.Name, StringComparer.Ordinal)
                .ToList();
            foreach (V1Job old in ofType.Take(Math.Max(0, ofType.Count - keep)))
            {
                await DeleteJobAsync(cronJob, old.Metadata.Name, old.Metadata.NamespaceProperty, cancellationToken);
            }
        }
    }

    private async Task DeleteJobAsync(V1CronJob cronJob, string name, string ns, CancellationToken cancellationToken)
    {
        try
        {
            await Client.BatchV1.DeleteNamespacedJobAsync(name, ns, new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: cancellationToken);
            _events.Event(cronJob, "Normal", "SuccessfulDelete", $"Deleted job {name}");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private async Task UpdateStatusAsync(string key, V1CronJob cronJob, V1CronJobStatus status, List<V1ObjectReference> active, CancellationToken cancellationToken)
    {
        status.Active = active.Count > 0 ? active : null;
        await StatusWrites.WriteAsync(cronJob, status, cronJob.Status ?? new V1CronJobStatus(), (c, s) => c.Status = s,
            copy => Client.BatchV1.ReplaceNamespacedCronJobStatusAsync(copy, cronJob.Metadata.Name, cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
            Queue, key, goneIsDone: true);
    }
}
