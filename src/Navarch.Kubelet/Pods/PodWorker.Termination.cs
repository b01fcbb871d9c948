using Grpc.Core;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Probes;

namespace Navarch.Kubelet.Pods;

/// <summary>Tearing down and stopping containers: deletion, preStop hooks, grace periods, the order of app containers and sidecars, activeDeadlineSeconds.</summary>
internal sealed partial class PodWorker
{
    /// <summary>The least time a container gets between SIGTERM and SIGKILL, whatever is left of the grace period.</summary>
    private const long MinimumGracePeriod = 2;

    /// <summary>
    /// Tears the deleted pod down: its containers within the grace period, its sandboxes, volumes and per-pod files;
    /// then the status manager deletes the API object, unless it is gone already.
    /// </summary>
    private async Task TerminateAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        long grace = pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
        _deps.Probes.UpdatePod(Uid, null, []);
        await KillContainersAsync(pod, grace, cancellationToken).ConfigureAwait(false);

        // Every container that ran was stopped just now, so the sandboxes go without another look at the containers.
        await StopSandboxesAsync(pod, grace, remove: true, stopContainers: false, cancellationToken).ConfigureAwait(false);
        await _deps.Volumes.TearDownAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
        string podState = TerminationMessages.PodDirectory(_deps.Options, pod.Metadata.Uid);
        if (Directory.Exists(podState))
        {
            Directory.Delete(podState, recursive: true);
        }

        if (!_goneFromApi)
        {
            await _deps.Status.DeletePodAsync(pod, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the pod's sandboxes (and removes them when <paramref name="remove"/>); with <paramref name="stopContainers"/>
    /// its running containers are stopped first, within <paramref name="gracePeriod"/>.
    /// </summary>
    private async Task StopSandboxesAsync(V1Pod pod, long gracePeriod, bool remove, bool stopContainers, CancellationToken cancellationToken)
    {
        IReadOnlyList<PodSandbox> sandboxes = await SandboxesAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
        if (sandboxes.Count == 0)
        {
            return;
        }

        if (stopContainers)
        {
            var running = (await PodContainersAsync(pod, cancellationToken).ConfigureAwait(false)).Where(c => c.State == ContainerState.ContainerRunning).ToList();
            foreach (Container c in running)
            {
                _deps.Events.Event(pod, "Normal", "Killing", $"Stopping container {c.Metadata.Name}");
            }

            await Task.WhenAll(running.Select(c => _deps.Runtime.StopContainerAsync(c.Id, gracePeriod, cancellationToken))).ConfigureAwait(false);
        }

        foreach (PodSandbox sandbox in sandboxes)
        {
            if (sandbox.State == PodSandboxState.SandboxReady)
            {
                await _deps.Runtime.StopPodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
            }

            if (remove)
            {
                await _deps.Runtime.RemovePodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The pod's containers in all its sandboxes.</summary>
    private Task<IReadOnlyList<Container>> PodContainersAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var filter = new ContainerFilter();
        filter.LabelSelector[CriLabels.PodUid] = pod.Metadata.Uid;
        return _deps.Runtime.ListContainersAsync(filter, cancellationToken);
    }

    /// <summary>
    /// Stops one container the kubelet's way (killContainer): a Killing event, its preStop hook within the grace
    /// period, then StopContainer with what is left of it (at least 2 s).
    /// </summary>
    private async Task KillContainerAsync(V1Pod pod, V1Container? spec, string containerId, long gracePeriod, string? message, CancellationToken cancellationToken)
    {
        string name = spec?.Name ?? "";
        _deps.Events.Event(pod, "Normal", "Killing", message ?? $"Stopping container {name}");
        if (spec?.Lifecycle?.PreStop is { } hook && gracePeriod > 0)
        {
            DateTimeOffset start = _deps.Time.GetUtcNow();
            using var hookTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(gracePeriod), _deps.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hookTimeout.Token);
            try
            {
                ProbeOutcome outcome = await _deps.Hooks.HookAsync(hook, new ProbeTarget(containerId, _podIp, spec), linked.Token).ConfigureAwait(false);
                if (outcome.Result == ProbeResult.Failure)
                {
                    LogHookFailed(_logger, Key, name, "PreStop", outcome.Output);

                    // Like the kubelet, the event leaves the hook's output out (it may hold secrets).
                    _deps.Events.Event(pod, "Warning", "FailedPreStopHook", "PreStopHook failed");
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && (e is OperationCanceledException || (e is RpcException r && r.StatusCode == StatusCode.Cancelled)))
            {
                LogPreStopTimedOut(_logger, Key, name, gracePeriod);
            }

            gracePeriod -= (long)(_deps.Time.GetUtcNow() - start).TotalSeconds;
        }

        gracePeriod = Math.Max(gracePeriod, MinimumGracePeriod);
        try
        {
            await _deps.Runtime.StopContainerAsync(containerId, gracePeriod, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
        }
    }

    /// <summary>
    /// Stops every running container of the pod within <paramref name="gracePeriod"/> seconds: app containers (and a
    /// running regular init container) together, then the sidecars one by one, last first, with what is left.
    /// </summary>
    private async Task KillContainersAsync(V1Pod pod, long gracePeriod, CancellationToken cancellationToken)
    {
        DateTimeOffset deadline = _deps.Time.GetUtcNow() + TimeSpan.FromSeconds(gracePeriod);
        var running = (await PodContainersAsync(pod, cancellationToken).ConfigureAwait(false)).Where(c => c.State == ContainerState.ContainerRunning).ToList();
        var sidecars = (pod.Spec.InitContainers ?? []).Where(PodStatusBuilder.IsSidecar).ToList();
        var first = running.Where(c => !sidecars.Any(s => s.Name == c.Metadata.Name)).ToList();
        await Task.WhenAll(first.Select(c => KillContainerAsync(pod, SpecOf(pod, c.Metadata.Name), c.Id, gracePeriod, null, cancellationToken))).ConfigureAwait(false);
        foreach (V1Container sidecar in Enumerable.Reverse(sidecars))
        {
            foreach (Container c in running.Where(c => c.Metadata.Name == sidecar.Name))
            {
                long left = Math.Max(0, (long)Math.Ceiling((deadline - _deps.Time.GetUtcNow()).TotalSeconds));
                await KillContainerAsync(pod, sidecar, c.Id, left, null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static V1Container? SpecOf(V1Pod pod, string name) =>
        pod.Spec.Containers.FirstOrDefault(c => c.Name == name) ?? pod.Spec.InitContainers?.FirstOrDefault(c => c.Name == name);

    /// <summary>Whether the pod has been active on the node longer than its activeDeadlineSeconds.</summary>
    private bool DeadlineExceeded(V1Pod pod) =>
        pod.Spec.ActiveDeadlineSeconds is long seconds
        && (pod.Status?.StartTime ?? _firstSeen) is DateTime started
        && _deps.Time.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(started, DateTimeKind.Utc) >= TimeSpan.FromSeconds(seconds);

    /// <summary>
    /// Fails the pod for its activeDeadlineSeconds: its containers are stopped and its phase becomes Failed
    /// (DeadlineExceeded). <paramref name="containers"/> is the sandbox's list from this sync: stopping makes none.
    /// </summary>
    private async Task FailForDeadlineAsync(V1Pod pod, SandboxContext sb, IReadOnlyList<Container> containers, CancellationToken cancellationToken)
    {
        const string Message = "Pod was active on the node longer than the specified deadline";
        _deps.Events.Event(pod, "Warning", "DeadlineExceeded", Message);
        _deps.Probes.UpdatePod(Uid, null, []);
        await KillContainersAsync(pod, pod.Spec.TerminationGracePeriodSeconds ?? 30, cancellationToken).ConfigureAwait(false);
        foreach (V1Container spec in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers))
        {
            await RefreshAsync(spec, containers, cancellationToken).ConfigureAwait(false);
            View(spec.Name).Started = false;
            View(spec.Name).Ready = false;
        }

        bool initialized = pod.Spec.Containers.Any(c => containers.Any(x => x.Metadata.Name == c.Name));
        await PostStatusAsync(pod, sb.Ready, sb.PodIp, initialized, ("DeadlineExceeded", Message), cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: preStop hook of container {Container} did not complete within {Grace}s")]
    private static partial void LogPreStopTimedOut(ILogger logger, string pod, string container, long grace);
}
