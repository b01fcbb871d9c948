using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Controllers;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Job;

/// <summary>
/// Runs a Job's pods to completion, the way kube-controller-manager's job controller does: keeps up to
/// <c>parallelism</c> pods running until <c>completions</c> succeeded (one per index in Indexed mode), recreates failed
/// pods with exponential back-off (10 s doubling, capped at 6 min), fails the Job past its <c>backoffLimit</c>, its
/// <c>activeDeadlineSeconds</c> or a matching <c>podFailurePolicy</c> FailJob rule, deletes the active pods of a
/// suspended or failed Job, and writes the Complete/Failed/Suspended conditions and the counts last. Finished pods are
/// counted by observing them (no tracking finalizer); the counts never go down.
/// </summary>
public sealed class JobController : QueueController
{
    /// <summary>The annotation and label that carry an Indexed Job pod's completion index.</summary>
    public const string CompletionIndexKey = "batch.kubernetes.io/job-completion-index";

    private const int BurstPods = 500;
    private static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BackoffMax = TimeSpan.FromMinutes(6);

    private readonly Informer<V1Job> _jobs;
    private readonly Informer<V1Pod> _pods;
    private readonly ControllerExpectations _expectations;
    private readonly EventRecorder _events;
    private readonly HashSet<string> _seenPods = new(StringComparer.Ordinal);
    private readonly HashSet<string> _terminatingPods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Failed, int Succeeded, int FailuresAfterSuccess, DateTimeOffset LastFailure)> _backoff = new(StringComparer.Ordinal);

    /// <summary>Creates the controller over the shared Job and Pod informers.</summary>
    public JobController(ControllerContext context)
        : base("job", context)
    {
        _events = context.Recorder("job-controller");
        _jobs = context.Informers.Get<V1Job>();
        _pods = context.Informers.Get<V1Pod>();
        _expectations = new ControllerExpectations(Time);
        _jobs.AddHandler(new ResourceEventHandler<V1Job>(Enqueue, (job, _) =>
        {
            string key = ObjectKeys.KeyOf(job);
            _expectations.Delete(key);
            lock (_backoff)
            {
                _backoff.Remove(key);
            }

            Queue.Add(key);
        }));
        _pods.AddHandler(new ResourceEventHandler<V1Pod>(PodChanged, PodDeleted));
    }

    private static V1OwnerReference? ControllerOf(V1Pod pod) =>
        pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "Job");

    private void PodChanged(V1Pod pod)
    {
        if (ControllerOf(pod) is not { } owner)
        {
            return;
        }

        string key = $"{pod.Metadata.NamespaceProperty}/{owner.Name}";
        lock (_seenPods)
        {
            if (_seenPods.Add(pod.Metadata.Uid))
            {
                _expectations.CreationObserved(key);
            }

            // A graceful deletion is the deletion we asked for, even though the pod is still there.
            if (pod.Metadata.DeletionTimestamp is not null && _terminatingPods.Add(pod.Metadata.Uid))
            {
                _expectations.DeletionObserved(key);
            }
        }

        Queue.Add(key);
    }

    private void PodDeleted(V1Pod pod, bool finalStateUnknown)
    {
        if (ControllerOf(pod) is not { } owner)
        {
            return;
        }

        string key = $"{pod.Metadata.NamespaceProperty}/{owner.Name}";
        lock (_seenPods)
        {
            _seenPods.Remove(pod.Metadata.Uid);
            if (!_terminatingPods.Remove(pod.Metadata.Uid))
            {
                _expectations.DeletionObserved(key);
            }
        }

        Queue.Add(key);
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1Job? job = _jobs.Store.Get(key);
        if (job is null)
        {
            _expectations.Delete(key);
            return;
        }

        if (JobConditions.Finished(job) is not null || job.Spec?.Template is null)
        {
            return;
        }

        // Read the expectations before the pods, so a pod created meanwhile is either seen or still expected.
        bool satisfied = _expectations.SatisfiedExpectations(key);
        List<V1Pod> pods = _pods.Store.List(job.Metadata.NamespaceProperty).Where(p => ControllerOf(p)?.Uid == job.Metadata.Uid).ToList();
        List<V1Pod> active = pods.Where(IsActive).ToList();
        DateTime now = ModelCopies.Now(Time);
        V1JobStatus status = job.Status is null ? new V1JobStatus() : ModelCopies.Copy(job.Status);
        bool suspended = job.Spec.Suspend == true;
        int parallelism = Math.Max(0, job.Spec.Parallelism ?? 1);
        int? completions = job.Spec.Completions;
        bool indexed = job.Spec.CompletionMode == "Indexed" && completions is not null;

        // Failed pods count against the backoff limit unless a pod failure policy says otherwise.
        string? failJob = null;
        int failedSeen = 0;
        foreach (V1Pod pod in pods.Where(p => p.Status?.Phase == "Failed"))
        {
            (string? action, string message) = PodFailurePolicies.Match(job, pod);
            if (action == "Ignore")
            {
                continue;
            }

            failedSeen++;
            if (action == "FailJob")
            {
                failJob ??= message;
            }
        }

        int failed = Math.Max(status.Failed ?? 0, failedSeen);
        SortedSet<int>? completed = null;
        int succeeded;
        if (indexed)
        {
            completed = IndexRanges.Parse(status.CompletedIndexes, completions!.Value);
            foreach (V1Pod pod in pods.Where(p => p.Status?.Phase == "Succeeded"))
            {
                if (IndexOf(pod) is { } index && index < completions.Value)
                {
                    completed.Add(index);
                }
            }

            succeeded = completed.Count;
        }
        else
        {
            succeeded = Math.Max(status.Succeeded ?? 0, pods.Count(p => p.Status?.Phase == "Succeeded"));
        }

        // Suspension and resumption; a resumed Job's active deadline counts from the resumption.
        if (suspended && JobConditions.TrueCondition(job, "Suspended") is null)
        {
            JobConditions.Set(status, "Suspended", "True", "JobSuspended", "Job suspended", now);
        }
        else if (!suspended && JobConditions.TrueCondition(job, "Suspended") is not null)
        {
            JobConditions.Set(status, "Suspended", "False", "JobResumed", "Job resumed", now);
            status.StartTime = now;
        }

        if (status.StartTime is null && !suspended)
        {
            status.StartTime = now;
        }

        (string Reason, string Message)? failure = null;
        if (failJob is not null)
        {
            failure = ("PodFailurePolicy", failJob);
        }
        else if (failed > (job.Spec.BackoffLimit ?? 6) || PastBackoffLimitOnFailure(job, active))
        {
            failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit");
        }
        else if (!suspended && DeadlineRemaining(job, status) is { } remaining && remaining <= TimeSpan.Zero)
        {
            failure = ("DeadlineExceeded", "Job was active longer than specified deadline");
        }

        if (failure is { } f && satisfied)
        {
            // A failed Job stops: its running pods are killed and count as failed. Only once the pod cache shows
            // every pod this controller created (expectations), or the count would miss the ones not seen yet; the
            // pods' events bring the next sync.
            await DeletePodsAsync(key, active, cancellationToken);
            failed += active.Count;
            active.Clear();
            JobConditions.Set(status, "Failed", "True", f.Reason, f.Message, now);
            Log.JobFailed(Logger, key, f.Reason);
            _events.Event(job, "Warning", f.Reason, f.Message);
        }
        else if (failure is null && satisfied && job.Metadata.DeletionTimestamp is null)
        {
            active = suspended
                ? await DeleteAllAsync(key, active, cancellationToken)
                : indexed
                    ? await ManageIndexedAsync(key, job, active, completed!, failed, succeeded, parallelism, cancellationToken)
                    : await ManageNonIndexedAsync(key, job, active, failed, succeeded, parallelism, completions, cancellationToken);
        }

        bool complete = failure is null && !suspended && (indexed
            ? succeeded >= completions!.Value
            : completions is null ? succeeded > 0 && active.Count == 0 : succeeded >= completions.Value && active.Count == 0);
        if (complete)
        {
            JobConditions.Set(status, "Complete", "True", "", "", now);
            status.CompletionTime = now;
            _events.Event(job, "Normal", "Completed", "Job completed");
        }

        status.Active = active.Count;
        status.Ready = active.Count(IsReady);
        status.Succeeded = succeeded;
        status.Failed = failed;
        status.CompletedIndexes = indexed ? IndexRanges.Format(completed!) : null;
        if (failure is null && !complete && !suspended && DeadlineRemaining(job, status) is { } wait)
        {
            // Time alone ends a Job past its deadline: look again when it would.
            Queue.AddAfter(key, wait);
        }

        await UpdateStatusAsync(key, job, status, cancellationToken);
    }

    private static bool IsActive(V1Pod pod) => pod.Metadata.DeletionTimestamp is null && pod.Status?.Phase is not ("Succeeded" or "Failed");

    private static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static int? IndexOf(V1Pod pod)
    {
        string? text = null;
        if (pod.Metadata.Annotations?.TryGetValue(CompletionIndexKey, out string? annotation) != true || annotation is null)
        {
            pod.Metadata.Labels?.TryGetValue(CompletionIndexKey, out text);
        }
        else
        {
            text = annotation;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? index : null;
    }

    /// <summary>With restartPolicy OnFailure the kubelet restarts containers in place: those restarts count as failures.</summary>
    private static bool PastBackoffLimitOnFailure(V1Job job, List<V1Pod> active)
    {
        if (job.Spec.Template.Spec?.RestartPolicy != "OnFailure")
        {
            return false;
        }

        int restarts = active.Where(p => p.Status?.Phase is "Pending" or "Running")
            .Sum(p => (p.Status.InitContainerStatuses ?? []).Concat(p.Status.ContainerStatuses ?? []).Sum(c => c.RestartCount));
        int limit = job.Spec.BackoffLimit ?? 6;
        return limit == 0 ? restarts > 0 : restarts >= limit;
    }

    private TimeSpan? DeadlineRemaining(V1Job job, V1JobStatus status) =>
        job.Spec.ActiveDeadlineSeconds is { } seconds && status.StartTime is { } start
            ? ModelCopies.Utc(start) + TimeSpan.FromSeconds(seconds) - Time.GetUtcNow()
            : null;

    private async Task<List<V1Pod>> ManageNonIndexedAsync(string key, V1Job job, List<V1Pod> active, int failed, int succeeded, int parallelism, int? completions, CancellationToken cancellationToken)
    {
        // Without completions the first success ends the Job: no new pods, the running ones finish on their own.
        int want = completions is null
            ? (succeeded > 0 ? active.Count : parallelism)
            : Math.Max(0, Math.Min(parallelism, completions.Value - succeeded));
        if (active.Count > want)
        {
            List<V1Pod> victims = active.Order(Comparer<V1Pod>.Create(DeletionPreference)).Take(active.Count - want).ToList();
            await DeletePodsAsync(key, victims, cancellationToken);
            return active.Except(victims).ToList();
        }

        int missing = Math.Min(want - active.Count, BurstPods);
        if (missing > 0 && BackoffAllows(key, job, failed, succeeded))
        {
            await CreatePodsAsync(key, job, Enumerable.Repeat<int?>(null, missing).ToList(), cancellationToken);
        }

        return active;
    }

    private async Task<List<V1Pod>> ManageIndexedAsync(string key, V1Job job, List<V1Pod> active, SortedSet<int> completed, int failed, int succeeded, int parallelism, CancellationToken cancellationToken)
    {
        int completions = job.Spec.Completions!.Value;

        // One active pod per index still to complete; the rest (bad, completed or duplicate indexes) go.
        var keep = new List<V1Pod>();
        var surplus = new List<V1Pod>();
        foreach (IGrouping<int, V1Pod> group in active.GroupBy(p => IndexOf(p) ?? -1))
        {
            if (group.Key < 0 || group.Key >= completions || completed.Contains(group.Key))
            {
                surplus.AddRange(group);
                continue;
            }

            List<V1Pod> ordered = group.Order(Comparer<V1Pod>.Create(DeletionPreference)).ToList();
            keep.Add(ordered[^1]);
            surplus.AddRange(ordered.Take(ordered.Count - 1));
        }

        int want = Math.Max(0, Math.Min(parallelism, completions - succeeded));
        if (keep.Count > want)
        {
            List<V1Pod> highest = keep.OrderByDescending(p => IndexOf(p)).Take(keep.Count - want).ToList();
            surplus.AddRange(highest);
            keep = keep.Except(highest).ToList();
        }

        if (surplus.Count > 0)
        {
            await DeletePodsAsync(key, surplus, cancellationToken);
            return keep;
        }

        var running = keep.Select(p => IndexOf(p)!.Value).ToHashSet();
        List<int?> pending = Enumerable.Range(0, completions).Where(i => !completed.Contains(i) && !running.Contains(i))
            .Take(Math.Min(want - keep.Count, BurstPods)).Select(i => (int?)i).ToList();
        if (pending.Count > 0 && BackoffAllows(key, job, failed, succeeded))
        {
            await CreatePodsAsync(key, job, pending, cancellationToken);
        }

        return keep;
    }

    /// <summary>
    /// Failed pods are replaced after 10 s × 2^(failures since the last success − 1), at most 6 minutes, counted from
    /// the last failure; when that is still ahead, the key comes back then.
    /// </summary>
    private bool BackoffAllows(string key, V1Job job, int failed, int succeeded)
    {
        DateTimeOffset now = Time.GetUtcNow();
        TimeSpan remaining;
        lock (_backoff)
        {
            if (!_backoff.TryGetValue(key, out var record))
            {
                // First look at this Job (or a restart): its failures so far, the last one when the kubelet says it happened.
                DateTimeOffset last = _pods.Store.List(job.Metadata.NamespaceProperty)
                    .Where(p => ControllerOf(p)?.Uid == job.Metadata.Uid && p.Status?.Phase == "Failed")
                    .SelectMany(p => p.Status.ContainerStatuses ?? [])
                    .Select(c => c.State?.Terminated?.FinishedAt)
                    .Where(t => t is not null)
                    .Select(t => ModelCopies.Utc(t!.Value))
                    .DefaultIfEmpty(now)
                    .Max();
                record = (failed, succeeded, failed, last);
            }

            if (succeeded > record.Succeeded)
            {
                record = (record.Failed, succeeded, 0, record.LastFailure);
            }

            if (failed > record.Failed)
            {
                record = (failed, record.Succeeded, record.FailuresAfterSuccess + (failed - record.Failed), now);
            }

            _backoff[key] = record;
            if (record.FailuresAfterSuccess == 0)
            {
                return true;
            }

            double factor = Math.Pow(2, Math.Min(record.FailuresAfterSuccess - 1, 16));
            TimeSpan delay = TimeSpan.FromTicks((long)Math.Min(BackoffBase.Ticks * factor, BackoffMax.Ticks));
            remaining = record.LastFailure + delay - now;
        }

        if (remaining <= TimeSpan.Zero)
        {
            return true;
        }

        Queue.AddAfter(key, remaining);
        return false;
    }

    /// <summary>Kubernetes' preference among active pods, first to delete first: unassigned, pending, not ready, newest.</summary>
    private static int DeletionPreference(V1Pod a, V1Pod b)
    {
        static int Assigned(V1Pod p) => string.IsNullOrEmpty(p.Spec?.NodeName) ? 0 : 1;
        static int Phase(V1Pod p) => p.Status?.Phase switch { "Running" => 2, "Unknown" => 1, _ => 0 };
        int compare = Assigned(a).CompareTo(Assigned(b));
        if (compare == 0)
        {
            compare = Phase(a).CompareTo(Phase(b));
        }

        if (compare == 0)
        {
            compare = IsReady(a).CompareTo(IsReady(b));
        }

        return compare != 0 ? compare : Nullable.Compare(b.Metadata.CreationTimestamp, a.Metadata.CreationTimestamp);
    }

    private async Task<List<V1Pod>> DeleteAllAsync(string key, List<V1Pod> active, CancellationToken cancellationToken)
    {
        await DeletePodsAsync(key, active, cancellationToken);
        return [];
    }

    private async Task DeletePodsAsync(string key, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        if (pods.Count == 0)
        {
            return;
        }

        _expectations.ExpectDeletions(key, pods.Count);
        foreach (V1Pod pod in pods)
        {
            try
            {
                await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
                if (_jobs.Store.Get(key) is { } job)
                {
                    PodEvents.Deleted(_events, job, pod);
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                _expectations.DeletionObserved(key);
            }
        }
    }

    /// <summary>Creates one pod per entry (a completion index, or null), in slow-start batches of 1, 2, 4, ….</summary>
    private async Task CreatePodsAsync(string key, V1Job job, List<int?> indexes, CancellationToken cancellationToken)
    {
        _expectations.ExpectCreations(key, indexes.Count);
        int created = 0;
        for (int batch = 1; created < indexes.Count; batch *= 2)
        {
            List<int?> slice = indexes.Skip(created).Take(batch).ToList();
            bool[] ok = await Task.WhenAll(slice.Select(index => CreatePodAsync(job, index, cancellationToken)));
            created += slice.Count;
            int failures = ok.Count(x => !x);
            if (failures > 0)
            {
                _expectations.Lower(key, failures + (indexes.Count - created), 0);
                return;
            }
        }
    }

    private async Task<bool> CreatePodAsync(V1Job job, int? index, CancellationToken cancellationToken)
    {
        V1PodTemplateSpec template = job.Spec.Template;
        var labels = template.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : [];
        var annotations = template.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : [];
        if (job.Spec.ManualSelector != true)
        {
            labels.TryAdd("batch.kubernetes.io/controller-uid", job.Metadata.Uid);
            labels.TryAdd("batch.kubernetes.io/job-name", job.Metadata.Name);
            labels.TryAdd("controller-uid", job.Metadata.Uid);
            labels.TryAdd("job-name", job.Metadata.Name);
        }

        V1PodSpec spec = ModelCopies.Copy(template.Spec);
        string generateName = job.Metadata.Name + "-";
        if (index is { } i)
        {
            string text = i.ToString(CultureInfo.InvariantCulture);
            annotations[CompletionIndexKey] = text;
            labels[CompletionIndexKey] = text;
            generateName = $"{job.Metadata.Name}-{text}-";
            spec.Hostname = $"{job.Metadata.Name}-{text}";
            foreach (V1Container container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
            {
                container.Env ??= [];
                if (!container.Env.Any(e => e.Name == "JOB_COMPLETION_INDEX"))
                {
                    container.Env.Add(new V1EnvVar { Name = "JOB_COMPLETION_INDEX", Value = text });
                }
            }
        }

        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                GenerateName = generateName,
                Labels = labels,
                Annotations = annotations.Count > 0 ? annotations : null,
                OwnerReferences =
                [
                    new V1OwnerReference { ApiVersion = "batch/v1", Kind = "Job", Name = job.Metadata.Name, Uid = job.Metadata.Uid, Controller = true, BlockOwnerDeletion = true },
                ],
            },
            Spec = spec,
        };
        try
        {
            PodEvents.Created(_events, job, await Client.CoreV1.CreateNamespacedPodAsync(pod, job.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
            return true;
        }
        catch (HttpOperationException e)
        {
            Log.CreateFailed(Logger, ObjectKeys.KeyOf(job), e.Response.Content);
            PodEvents.CreateFailed(_events, job, PodEvents.ErrorOf(e));
            return false;
        }
    }

    private async Task UpdateStatusAsync(string key, V1Job job, V1JobStatus status, CancellationToken cancellationToken)
    {
        await StatusWrites.WriteAsync(job, status, job.Status, (j, s) => j.Status = s,
            copy => Client.BatchV1.ReplaceNamespacedJobStatusAsync(copy, job.Metadata.Name, job.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
            Queue, key, goneIsDone: true,
            reread: async () =>
            {
                // A Job another sync already finished (this one worked from a cache that had not seen it) keeps its
                // final status: written over, its counts could only go down.
                V1Job fresh = await Client.BatchV1.ReadNamespacedJobAsync(job.Metadata.Name, job.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
                return JobConditions.Finished(fresh) is null ? fresh : null;
            });
    }
}
