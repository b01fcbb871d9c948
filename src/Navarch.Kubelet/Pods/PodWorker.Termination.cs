using Grpc.Core;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods.Probes;

namespace Navarch.Kubelet.Pods;

/// <summary>Stopping containers: preStop hooks, grace periods, the order of app containers and sidecars, activeDeadlineSeconds.</summary>
internal sealed partial class PodWorker
{
    /// <summary>The least time a container gets between SIGTERM and SIGKILL, whatever is left of the grace period.</summary>
    private const long MinimumGracePeriod = 2;

    /// <summary>
    /// Stops one container the kubelet's way (killContainer): a Killing event, its preStop hook within the grace
    /// period, then StopContainer with what is left of it (at least 2 s).
    /// </summary>
    private async Task KillContainerAsync(V1Pod pod, V1Container? spec, string containerId, long gracePeriod, string? message, CancellationToken cancellationToken)
    {
        string name = spec?.Name ?? "";
        _events.Event(pod, "Normal", "Killing", message ?? $"Stopping container {name}");
        if (spec?.Lifecycle?.PreStop is { } hook && gracePeriod > 0)
        {
            DateTimeOffset start = _time.GetUtcNow();
            using var hookTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(gracePeriod), _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hookTimeout.Token);
            try
            {
                ProbeOutcome outcome = await _prober.HookAsync(hook, new ProbeTarget(containerId, _podIp, spec), linked.Token).ConfigureAwait(false);
                if (outcome.Result == ProbeResult.Failure)
                {
                    LogHookFailed(_logger, Key, name, "PreStop", outcome.Output);

                    // Like the kubelet, the event leaves the hook's output out (it may hold secrets).
                    _events.Event(pod, "Warning", "FailedPreStopHook", "PreStopHook failed");
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && (e is OperationCanceledException || (e is RpcException r && r.StatusCode == StatusCode.Cancelled)))
            {
                LogPreStopTimedOut(_logger, Key, name, gracePeriod);
            }

            gracePeriod -= (long)(_time.GetUtcNow() - start).TotalSeconds;
        }

        gracePeriod = Math.Max(gracePeriod, MinimumGracePeriod);
        try
        {
            await _cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = containerId, Timeout = gracePeriod }, cancellationToken: cancellationToken).ConfigureAwait(false);
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
        DateTimeOffset deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(gracePeriod);
        var filter = new ContainerFilter();
        filter.LabelSelector[CriLabels.PodUid] = pod.Metadata.Uid;
        ListContainersResponse list = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false);
        var running = list.Containers.Where(c => c.State == ContainerState.ContainerRunning).ToList();
        var sidecars = (pod.Spec.InitContainers ?? []).Where(PodStatusBuilder.IsSidecar).ToList();
        var first = running.Where(c => !sidecars.Any(s => s.Name == c.Metadata.Name)).ToList();
        await Task.WhenAll(first.Select(c => KillContainerAsync(pod, SpecOf(pod, c.Metadata.Name), c.Id, gracePeriod, null, cancellationToken))).ConfigureAwait(false);
        foreach (V1Container sidecar in Enumerable.Reverse(sidecars))
        {
            foreach (Container c in running.Where(c => c.Metadata.Name == sidecar.Name))
            {
                long left = Math.Max(0, (long)Math.Ceiling((deadline - _time.GetUtcNow()).TotalSeconds));
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
        && _time.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(started, DateTimeKind.Utc) >= TimeSpan.FromSeconds(seconds);

    /// <summary>Fails the pod for its activeDeadlineSeconds: its containers are stopped and its phase becomes Failed (DeadlineExceeded).</summary>
    private async Task FailForDeadlineAsync(V1Pod pod, SandboxContext sb, bool sandboxReady, CancellationToken cancellationToken)
    {
        const string Message = "Pod was active on the node longer than the specified deadline";
        _events.Event(pod, "Warning", "DeadlineExceeded", Message);
        _probes.Sync(null, []);
        await KillContainersAsync(pod, pod.Spec.TerminationGracePeriodSeconds ?? 30, cancellationToken).ConfigureAwait(false);
        ListContainersResponse list = await ListAsync(sb.Id, cancellationToken).ConfigureAwait(false);
        foreach (V1Container spec in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers))
        {
            await RefreshAsync(spec, list.Containers, cancellationToken).ConfigureAwait(false);
            View(spec.Name).Started = false;
            View(spec.Name).Ready = false;
        }

        bool initialized = pod.Spec.Containers.Any(c => list.Containers.Any(x => x.Metadata.Name == c.Name));
        await PostStatusAsync(pod, sandboxReady, sb.PodIp, initialized, ("DeadlineExceeded", Message), cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: preStop hook of container {Container} did not complete within {Grace}s")]
    private static partial void LogPreStopTimedOut(ILogger logger, string pod, string container, long grace);
}
