using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Queue;

namespace Navarch.Scheduler;

/// <summary>
/// One pod's trip: the algorithm on a fresh snapshot; on failure PostFilter (preemption), the PodScheduled=False
/// condition and a FailedScheduling event, and back to the queue; on success the pod is assumed on its node and
/// reserved, and the binding runs on its own task while the next pod is scheduled.
/// </summary>
internal sealed partial class SchedulingCycle(
    IKubernetes client,
    SchedulingQueue queue,
    SchedulerCache cache,
    Snapshot snapshot,
    IReadOnlyDictionary<string, Profile> profiles,
    Indexer<V1Pod> pods,
    EventRecorder events,
    ILogger logger,
    Navarch.Scheduler.Metrics.SchedulerMetrics? metrics = null)
{
    private readonly SchedulingAlgorithm _algorithm = new();
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _bindings = [];

    /// <summary>
    /// One scheduling cycle for <paramref name="queued"/>. Whatever goes wrong inside it stays inside it: the pod is
    /// forgotten, gets a FailedScheduling event and goes to back-off, and the scheduler moves on to the next pod (a
    /// poison pod must not end the loop for every other pod, as it once did).
    /// </summary>
    public async Task ScheduleOneAsync(QueuedPod queued, CancellationToken cancellationToken)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await RunCycleAsync(queued, start, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            metrics?.Attempt("error", queued.Pod.Spec?.SchedulerName ?? "default-scheduler", start);
            cache.ForgetPod(queued.Key);
            LogCycleFailed(logger, queued.Key, e);
            events.Event(queued.Pod, "Warning", "FailedScheduling", $"running the scheduling cycle: {e.Message}");
            queue.Failed(queued, unschedulable: false, queue.Cycle);
        }
    }

    private async Task RunCycleAsync(QueuedPod queued, long start, CancellationToken cancellationToken)
    {
        long podCycle = queue.Cycle;
        V1Pod pod = queued.Pod;
        V1Pod? current = pods.Get(queued.Key);
        if (current is null || !string.IsNullOrEmpty(current.Spec.NodeName) || current.Metadata.DeletionTimestamp is not null || cache.IsAssumed(queued.Key))
        {
            queue.Done(queued.Key);
            return;
        }

        Profile profile = profiles[pod.Spec.SchedulerName ?? "default-scheduler"];
        cache.UpdateSnapshot(snapshot);
        var state = new CycleState();
        ScheduleResult result = _algorithm.Schedule(profile, state, pod, snapshot);
        if (result.NodeName is not { } nodeName)
        {
            await FailedAsync(profile, state, queued, result, podCycle, cancellationToken).ConfigureAwait(false);
            metrics?.Attempt(result.Error is null ? "unschedulable" : "error", profile.SchedulerName, start);
            return;
        }

        cache.AssumePod(pod, nodeName);
        Status reserved = profile.RunReserve(state, pod, nodeName);
        if (!reserved.IsSuccess)
        {
            cache.ForgetPod(queued.Key);
            LogError(logger, queued.Key, reserved.Message);
            queue.Failed(queued, unschedulable: false, podCycle);
            metrics?.Attempt("error", profile.SchedulerName, start);
            return;
        }

        Task binding = BindAsync(profile, state, queued, nodeName, podCycle, start, cancellationToken);
        lock (_lock)
        {
            _bindings.Add(binding);
        }

        _ = binding.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    _bindings.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public Task WaitForBindingsAsync()
    {
        lock (_lock)
        {
            return Task.WhenAll(_bindings);
        }
    }

    private async Task BindAsync(Profile profile, CycleState state, QueuedPod queued, string nodeName, long podCycle, long start, CancellationToken cancellationToken)
    {
        V1Pod pod = queued.Pod;
        Status bound;
        try
        {
            bound = await profile.RunPreBindAsync(state, pod, nodeName, cancellationToken).ConfigureAwait(false);
            if (bound.IsSuccess)
            {
                bound = await profile.RunBindAsync(state, pod, nodeName, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            bound = Status.Error("cancelled");
        }
        catch (Exception e)
        {
            // A binding runs on its own task: nothing may escape it unobserved.
            bound = Status.Error(e.Message);
        }

        if (!bound.IsSuccess)
        {
            cache.ForgetPod(queued.Key);
            profile.RunUnreserve(state, pod, nodeName);
            LogError(logger, queued.Key, bound.Message);
            queue.Failed(queued, unschedulable: false, podCycle);
            metrics?.Attempt("error", profile.SchedulerName, start);
            return;
        }

        metrics?.Attempt("scheduled", profile.SchedulerName, start);
        cache.FinishBinding(queued.Key);
        queue.Done(queued.Key);
        LogBound(logger, queued.Key, nodeName);
        events.Event(pod, "Normal", "Scheduled", $"Successfully assigned {queued.Key} to {nodeName}");
    }

    private async Task FailedAsync(Profile profile, CycleState state, QueuedPod queued, ScheduleResult result, long podCycle, CancellationToken cancellationToken)
    {
        V1Pod pod = queued.Pod;
        if (result.Error is { } error)
        {
            LogError(logger, queued.Key, error.Message);
            queue.Failed(queued, unschedulable: false, podCycle);
            return;
        }

        string message = result.FitMessage();
        if (result.Failures.Count > 0 && profile.PostFilter.Count > 0)
        {
            PostFilterResult post = await profile.RunPostFilterAsync(state, pod, result.Failures, cancellationToken).ConfigureAwait(false);
            // On success the victims are being deleted; their deletion events bring the pod back.
            if (!post.Status.IsSuccess && post.Status.Reasons.Count > 0)
            {
                message += " " + post.Status.Message;
            }
        }

        LogUnschedulable(logger, queued.Key, message);
        events.Event(pod, "Warning", "FailedScheduling", message);
        await SetUnschedulableConditionAsync(pod, message, cancellationToken).ConfigureAwait(false);
        queue.Failed(queued, unschedulable: true, podCycle);
    }

    private async Task SetUnschedulableConditionAsync(V1Pod pod, string message, CancellationToken cancellationToken)
    {
        V1PodCondition? existing = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (existing is { Status: "False", Reason: "Unschedulable" } && existing.Message == message)
        {
            return;
        }

        var patch = new
        {
            status = new
            {
                conditions = new[]
                {
                    new { type = "PodScheduled", status = "False", reason = "Unschedulable", message, lastProbeTime = (DateTime?)null, lastTransitionTime = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) },
                },
            },
        };
        try
        {
            await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(JsonSerializer.Serialize(patch), V1Patch.PatchType.StrategicMergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            LogError(logger, $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}", $"could not set PodScheduled condition: {e.Response.StatusCode}");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bound {Pod} to {Node}")]
    private static partial void LogBound(ILogger logger, string pod, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unable to schedule {Pod}: {Message}")]
    private static partial void LogUnschedulable(ILogger logger, string pod, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduling cycle for {Pod} failed; the pod goes to back-off")]
    private static partial void LogCycleFailed(ILogger logger, string pod, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Error scheduling {Pod}: {Message}")]
    private static partial void LogError(ILogger logger, string pod, string message);
}
