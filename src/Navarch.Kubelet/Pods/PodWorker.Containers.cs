using System.Globalization;
using Grpc.Core;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Images;
using Navarch.Kubelet.Probes;

namespace Navarch.Kubelet.Pods;

/// <summary>Containers of one sandbox: their runtime state, starting and restarting them, postStart hooks, probe results.</summary>
internal sealed partial class PodWorker
{
    /// <summary>Reads the newest two CRI containers of <paramref name="spec"/>'s name (from <paramref name="containers"/>, the sandbox's list) into its view.</summary>
    private async Task RefreshAsync(V1Container spec, IEnumerable<Container> containers, CancellationToken cancellationToken)
    {
        ContainerView view = View(spec.Name);
        List<Container> ordered = [.. containers.Where(c => c.Metadata.Name == spec.Name).OrderByDescending(c => c.Metadata.Attempt)];
        view.Current = ordered.Count > 0 ? await StatusAsync(ordered[0].Id, cancellationToken).ConfigureAwait(false) : null;
        view.Previous = ordered.Count > 1 ? await StatusAsync(ordered[1].Id, cancellationToken).ConfigureAwait(false) : null;
        view.WaitingReason = null;
        view.WaitingMessage = null;
    }

    /// <summary>
    /// A container's status from the runtime, or null when it no longer has it. An exited container's status never
    /// changes, so it is asked for once (and its termination message read once) and kept until the container is removed.
    /// </summary>
    private async Task<ContainerStatus?> StatusAsync(string id, CancellationToken cancellationToken)
    {
        if (_exited.TryGetValue(id, out ContainerStatus? exited))
        {
            return exited;
        }

        ContainerStatus status;
        try
        {
            status = await _deps.Runtime.ContainerStatusAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }

        if (status.State == ContainerState.ContainerExited)
        {
            // The runtime's message enriched with the container's termination message, as the kubelet does.
            string message = TerminationMessages.Read(status);
            if (message.Length > 0)
            {
                status.Message = status.Message.Length > 0 ? status.Message + ": " + message : message;
            }

            _exited[id] = status;
        }

        return status;
    }

    /// <summary>Keeps probe workers on the running sidecars and app containers, and copies their results into the views.</summary>
    private void UpdateProbes(V1Pod pod, string? podIp)
    {
        IEnumerable<V1Container> probed = (pod.Spec.InitContainers ?? []).Where(PodStatusBuilder.IsSidecar).Concat(pod.Spec.Containers);
        _deps.Probes.UpdatePod(Uid, podIp, probed.Select(c => (c, View(c.Name).Current)));
        foreach (V1Container spec in (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers))
        {
            ContainerView view = View(spec.Name);
            bool running = view.Current?.State == ContainerState.ContainerRunning;
            view.Started = running && _deps.Probes.IsStarted(Uid, spec, view.Current!.Id);
            view.Ready = running && _deps.Probes.IsReady(Uid, spec, view.Current!.Id);
        }
    }

    /// <summary>Kills containers whose liveness or startup probe failed; they restart by the usual rules.</summary>
    private async Task KillUnhealthyAsync(V1Pod pod, IEnumerable<Container> containers, CancellationToken cancellationToken)
    {
        foreach (V1Container spec in (pod.Spec.InitContainers ?? []).Where(PodStatusBuilder.IsSidecar).Concat(pod.Spec.Containers))
        {
            ContainerView view = View(spec.Name);
            if (view.Current is not { State: ContainerState.ContainerRunning } current || _deps.Probes.FailedToLive(Uid, spec, current.Id) is not { } kind)
            {
                continue;
            }

            string policy = pod.Spec.RestartPolicy ?? "Always";
            bool restart = PodStatusBuilder.IsSidecar(spec) || policy != "Never";
            string message = $"Container {spec.Name} failed {kind.ToString().ToLowerInvariant()} probe" + (restart ? ", will be restarted" : "");
            V1Probe probe = kind == ProbeKind.Liveness ? spec.LivenessProbe : spec.StartupProbe;
            long grace = probe.TerminationGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
            await KillContainerAsync(pod, spec, current.Id, grace, message, cancellationToken).ConfigureAwait(false);
            await RefreshAsync(spec, containers, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the container when it has none, starts a created one, and restarts an exited one when
    /// <paramref name="restartOnExit"/> says so for its exit code — after the restart back-off. <paramref name="adjust"/>,
    /// when given, amends the CRI config of a container about to be created.
    /// </summary>
    private async Task EnsureRunningAsync(V1Pod pod, V1Container spec, SandboxContext sb, Func<int, bool> restartOnExit, CancellationToken cancellationToken, Action<ContainerConfig>? adjust = null)
    {
        ContainerView view = View(spec.Name);
        ContainerStatus? current = view.Current;
        if (current?.State == ContainerState.ContainerRunning)
        {
            return;
        }

        if (current?.State == ContainerState.ContainerCreated)
        {
            await StartAsync(pod, spec, current.Id, sb, cancellationToken).ConfigureAwait(false);
            return;
        }

        uint attempt = 0;
        if (current is not null)
        {
            if (!restartOnExit(current.ExitCode))
            {
                return;
            }

            DateTimeOffset exitedAt = DateTimeOffset.UnixEpoch.AddTicks(current.FinishedAt / 100);
            if (_backoff.IsInBackOffSince(spec.Name, exitedAt))
            {
                string delay = ((long)_backoff.Get(spec.Name).TotalSeconds).ToString(CultureInfo.InvariantCulture);
                view.WaitingReason = "CrashLoopBackOff";
                view.WaitingMessage = $"back-off {delay}s restarting failed container={spec.Name} pod={pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({pod.Metadata.Uid})";
                if (_backoffEventSent.Add(current.Id))
                {
                    _deps.Events.Event(pod, "Warning", "BackOff", $"Back-off restarting failed container {spec.Name} in pod {pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({pod.Metadata.Uid})");
                }

                return;
            }

            _backoff.Next(spec.Name, exitedAt);
            attempt = current.Metadata.Attempt + 1;

            // Keep only the last dead container (for logs --previous and lastState).
            if (view.Previous is { } older)
            {
                await _deps.Runtime.RemoveContainerAsync(older.Id, cancellationToken).ConfigureAwait(false);
                _exited.Remove(older.Id);
            }
        }

        DateTimeOffset pulling = _deps.Time.GetUtcNow();
        ImagePullResult image = await _deps.Images.EnsureImageExistsAsync(pod, spec, sb.Config, reportPresent: !view.ImageReported, cancellationToken).ConfigureAwait(false);
        view.ImageReported |= image.WasPresent;
        if (image.ImageRef is not null && !image.WasPresent)
        {
            _startup?.Pulled(pulling, _deps.Time.GetUtcNow());
        }

        if (image.ImageRef is null)
        {
            view.WaitingReason = image.WaitingReason;
            view.WaitingMessage = image.WaitingMessage;
            return;
        }

        ContainerConfig? config = _deps.Configs.Build(pod, spec, sb, image.ImageRef, image.Image, attempt, view);
        if (config is null)
        {
            return;
        }

        adjust?.Invoke(config);
        Directory.CreateDirectory(Path.Combine(sb.Config.LogDirectory, spec.Name));
        string id = await _deps.Runtime.CreateContainerAsync(sb.Id, config, sb.Config, cancellationToken).ConfigureAwait(false);
        _deps.Events.Event(pod, "Normal", "Created", $"Created container {spec.Name}");
        await StartAsync(pod, spec, id, sb, cancellationToken).ConfigureAwait(false);
        view.Previous = current;
    }

    /// <summary>Starts a created container and runs its postStart hook; a failed hook kills the container.</summary>
    private async Task StartAsync(V1Pod pod, V1Container spec, string id, SandboxContext sb, CancellationToken cancellationToken)
    {
        await _deps.Runtime.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
        _deps.Events.Event(pod, "Normal", "Started", $"Started container {spec.Name}");
        LogStarted(_logger, Key, spec.Name, id);
        ContainerView view = View(spec.Name);
        if (spec.Lifecycle?.PostStart is { } hook)
        {
            ProbeOutcome outcome = await _deps.Hooks.HookAsync(hook, new ProbeTarget(id, sb.PodIp, spec), cancellationToken).ConfigureAwait(false);
            if (outcome.Result == ProbeResult.Failure)
            {
                LogHookFailed(_logger, Key, spec.Name, "PostStart", outcome.Output);
                _deps.Events.Event(pod, "Warning", "FailedPostStartHook", "PostStartHook failed");
                await KillContainerAsync(pod, spec, id, pod.Spec.TerminationGracePeriodSeconds ?? 30, "FailedPostStartHook", cancellationToken).ConfigureAwait(false);
                view.Current = await StatusAsync(id, cancellationToken).ConfigureAwait(false);
                view.WaitingReason = "PostStartHookError";
                view.WaitingMessage = outcome.Output;
                return;
            }
        }

        view.Current = await StatusAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>All app containers exited and none will be restarted (restartPolicy Never, or OnFailure after success).</summary>
    private bool AppContainersFinished(V1Pod pod)
    {
        string policy = pod.Spec.RestartPolicy ?? "Always";
        if (policy == "Always")
        {
            return false;
        }

        return pod.Spec.Containers.All(c => View(c.Name).Current is { State: ContainerState.ContainerExited } s && (policy == "Never" || s.ExitCode == 0));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: container {Container} started ({Id})")]
    private static partial void LogStarted(ILogger logger, string pod, string container, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pod {Pod}: {Hook} hook of container {Container} failed: {Output}")]
    private static partial void LogHookFailed(ILogger logger, string pod, string container, string hook, string output);
}
