using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Metrics;
using Navarch.Kubelet.Status;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// The state machine of one pod, the kubelet's way: volumes, then a sandbox; init containers one at a time, each to
/// success (sidecars — init containers with restartPolicy Always — started in order and kept running); then the app
/// containers, restarted by restartPolicy with <see cref="RestartBackoff"/>; probes, lifecycle hooks,
/// activeDeadlineSeconds; its status. On deletion the containers stop (preStop, then SIGTERM, then SIGKILL at the end
/// of the grace period; sidecars after the app containers), the sandbox is removed and then the API object. The work
/// is done through <see cref="PodWorkerDependencies"/>: the runtime and the image, status, probe and volume managers.
/// One worker per pod UID; a sync runs when the pod changes, when a probe result changes, and every second while the
/// worker lives.
/// </summary>
internal sealed partial class PodWorker
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(1);

    private readonly PodWorkerDependencies _deps;
    private readonly ILogger _logger;
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, ContainerView> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerStatus> _exited = new(StringComparer.Ordinal);
    private readonly HashSet<string> _backoffEventSent = new(StringComparer.Ordinal);
    private readonly RestartBackoff _backoff;
    private readonly DateTime _firstSeen;
    private readonly PodStartupLatency? _startup;
    private V1Pod _pod;
    private bool _goneFromApi;
    private bool _terminating;
    private string? _podIp;

    public PodWorker(V1Pod pod, PodWorkerDependencies deps, ILogger logger)
    {
        _pod = pod;
        _deps = deps;
        _logger = logger;
        _firstSeen = deps.Time.GetUtcNow().UtcDateTime;
        _backoff = RestartBackoff.Default(deps.Time);
        _startup = deps.Metrics is { } metrics ? new PodStartupLatency(metrics) : null;
        deps.Probes.AddPod(Uid, () => Volatile.Read(ref _pod), () => _signal.Writer.TryWrite(true));
        deps.Objects.RegisterPod(pod);
    }

    public string Uid => _pod.Metadata.Uid;

    private string Key => $"{_pod.Metadata.NamespaceProperty}/{_pod.Metadata.Name}";

    /// <summary>Gives the worker a newer version of its pod; <paramref name="deleted"/> when the API object is gone.</summary>
    public void Update(V1Pod pod, bool deleted = false)
    {
        Volatile.Write(ref _pod, pod);
        if (deleted)
        {
            _goneFromApi = true;
        }
        else
        {
            _deps.Objects.RegisterPod(pod);
        }

        // Dropped when a sync is already due.
        _signal.Writer.TryWrite(true);
    }

    /// <summary>Syncs until the pod is torn down (returns) or the kubelet stops (cancelled); then the managers forget the pod.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await LoopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _deps.Probes.RemovePodAsync(Uid).ConfigureAwait(false);
            _deps.Images.RemovePod(Uid);
            _deps.Status.RemovePod(Uid);
            _deps.Objects.UnregisterPod(Uid);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        // kubelet_pod_worker_duration_seconds' operation_type: the first sync creates, a changed pod updates, a resync syncs.
        string operation = "create";
        while (true)
        {
            bool done;
            long syncStarted = Stopwatch.GetTimestamp();
            try
            {
                done = await SyncAsync(cancellationToken).ConfigureAwait(false);
                _deps.Metrics?.PodWorkerSynced(_terminating ? "kill" : operation, Stopwatch.GetElapsedTime(syncStarted));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or HttpOperationException or HttpRequestException or IOException)
            {
                LogSyncFailed(_logger, Key, e.Message);
                done = false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Anything else is a bug or a pod nobody foresaw: the worker reports it and tries again at the next
                // sync, as the kubelet's pod workers log "Error syncing pod, skipping" and carry on.
                LogSyncCrashed(_logger, Key, e);
                _deps.Events.Event(Volatile.Read(ref _pod), "Warning", "FailedSync", $"Error syncing pod: {e.Message}");
                done = false;
            }

            if (done)
            {
                return;
            }

            using var timeout = new CancellationTokenSource(Resync, _deps.Time);
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await _signal.Reader.WaitToReadAsync(wake.Token).ConfigureAwait(false);
                _signal.Reader.TryRead(out _);
                operation = "update";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                operation = "sync";
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the pod as last seen (syncPod, or syncTerminatingPod once it is deleted); true when the pod is gone for good.</summary>
    internal async Task<bool> SyncAsync(CancellationToken cancellationToken)
    {
        V1Pod pod = Volatile.Read(ref _pod);
        _terminating = _goneFromApi || pod.Metadata.DeletionTimestamp is not null;
        if (_terminating)
        {
            await TerminateAsync(pod, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            // Terminal pods keep their record but no longer hold resources.
            _deps.Probes.UpdatePod(Uid, null, []);
            await StopSandboxesAsync(pod, gracePeriod: 0, remove: false, stopContainers: true, cancellationToken).ConfigureAwait(false);
            await _deps.Volumes.TearDownAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
            return false;
        }

        // The ConfigMaps and Secrets the pod names are watched from its registration; their first listing is awaited
        // here (briefly) so a new pod does not read them as missing. Volumes come before the sandbox; one that cannot
        // be set up keeps the pod ContainerCreating.
        await _deps.Objects.WaitForPodAsync(pod, cancellationToken).ConfigureAwait(false);
        if (!await _deps.Volumes.SetUpAsync(pod, cancellationToken).ConfigureAwait(false))
        {
            await PostStatusAsync(pod, false, null, false, null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        SandboxContext sb = await EnsureSandboxAsync(pod, cancellationToken).ConfigureAwait(false);
        string? podIp = sb.PodIp;
        bool sandboxReady = sb.Ready;

        IList<V1Container> inits = pod.Spec.InitContainers ?? [];
        IReadOnlyList<Container> containers = await ListAsync(sb.Id, cancellationToken).ConfigureAwait(false);
        foreach (V1Container spec in inits.Concat(pod.Spec.Containers).Concat(EphemeralContainers(pod).Select(e => e.Spec)))
        {
            await RefreshAsync(spec, containers, cancellationToken).ConfigureAwait(false);
        }

        UpdateProbes(pod, podIp);

        if (DeadlineExceeded(pod))
        {
            await FailForDeadlineAsync(pod, sb, containers, cancellationToken).ConfigureAwait(false);
            return false;
        }

        await KillUnhealthyAsync(pod, containers, cancellationToken).ConfigureAwait(false);

        // Init containers ran to completion in this sandbox once any app container was made in it.
        bool appsMade = pod.Spec.Containers.Any(c => containers.Any(x => x.Metadata.Name == c.Name));
        bool appsDone = appsMade && AppContainersFinished(pod);
        bool initialized = await SyncInitContainersAsync(pod, sb, appsMade, appsDone, cancellationToken).ConfigureAwait(false);
        if (initialized)
        {
            foreach (V1Container container in pod.Spec.Containers)
            {
                string policy = pod.Spec.RestartPolicy ?? "Always";
                await EnsureRunningAsync(pod, container, sb, exitCode => policy == "Always" || (policy == "OnFailure" && exitCode != 0), cancellationToken).ConfigureAwait(false);
            }

            if (AppContainersFinished(pod))
            {
                // The app containers are done for good: the sidecars stop too, and the pod turns terminal.
                await StopSidecarsAsync(pod, cancellationToken).ConfigureAwait(false);
                List<V1Container> sidecars = [.. inits.Where(PodStatusBuilder.IsSidecar)];
                IReadOnlyList<Container> stopped = sidecars.Count > 0 ? await ListAsync(sb.Id, cancellationToken).ConfigureAwait(false) : [];
                foreach (V1Container spec in sidecars)
                {
                    await RefreshAsync(spec, stopped, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // Ephemeral containers may start before the pod is initialized, as the kubelet's computePodActions allows.
        await SyncEphemeralContainersAsync(pod, sb, cancellationToken).ConfigureAwait(false);
        UpdateProbes(pod, podIp);
        await PostStatusAsync(pod, sandboxReady, podIp, initialized || appsMade, null, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// The pod's ready sandbox, or a new one when it has none: a sandbox that died took its containers with it, so the
    /// pod starts over (init containers too) in a new one, after the old ones are stopped.
    /// </summary>
    private async Task<SandboxContext> EnsureSandboxAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        IReadOnlyList<PodSandbox> sandboxes = await SandboxesAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
        PodSandbox? ready = sandboxes.Where(s => s.State == PodSandboxState.SandboxReady).MaxBy(s => s.CreatedAt);
        PodSandboxConfig config;
        string id;
        if (ready is null)
        {
            foreach (PodSandbox old in sandboxes)
            {
                await _deps.Runtime.StopPodSandboxAsync(old.Id, cancellationToken).ConfigureAwait(false);
            }

            config = PodRuntimeConfig.Sandbox(_deps.Options, pod, (uint)sandboxes.Count);
            Directory.CreateDirectory(config.LogDirectory);
            await PostStatusAsync(pod, false, null, false, null, cancellationToken).ConfigureAwait(false);
            string handler = _deps.RuntimeClasses is { } classes ? await classes.HandlerAsync(pod.Spec.RuntimeClassName, cancellationToken).ConfigureAwait(false) : "";
            try
            {
                id = await _deps.Runtime.RunPodSandboxAsync(config, handler, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                // The kubelet's own words, so `kubectl describe pod` says why the pod sits in ContainerCreating.
                _deps.Events.Event(pod, "Warning", "FailedCreatePodSandBox", $"Failed to create pod sandbox: rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
                throw;
            }

            LogSandbox(_logger, Key, id);
        }
        else
        {
            id = ready.Id;
            config = PodRuntimeConfig.Sandbox(_deps.Options, pod, ready.Metadata.Attempt);
        }

        PodSandboxStatusResponse status = await _deps.Runtime.PodSandboxStatusAsync(id, verbose: false, cancellationToken).ConfigureAwait(false);
        string? networkIp = status.Status?.Network?.Ip;
        string? podIp = pod.Spec.HostNetwork == true ? _deps.Options.InternalIp : networkIp;
        _podIp = podIp;
        bool sandboxReady = status.Status?.State == PodSandboxState.SandboxReady && !string.IsNullOrEmpty(podIp);
        return new SandboxContext(id, config, podIp, networkIp, sandboxReady);
    }

    private Task<IReadOnlyList<Container>> ListAsync(string sandboxId, CancellationToken cancellationToken) =>
        _deps.Runtime.ListContainersAsync(new ContainerFilter { PodSandboxId = sandboxId }, cancellationToken);

    private ContainerView View(string name)
    {
        if (!_views.TryGetValue(name, out ContainerView? view))
        {
            _views[name] = view = new ContainerView();
        }

        return view;
    }

    /// <summary>Builds the pod's status from the views and has the status manager write it when it changed.</summary>
    private async Task PostStatusAsync(V1Pod pod, bool sandboxReady, string? podIp, bool initialized, (string Reason, string Message)? failure, CancellationToken cancellationToken)
    {
        DateTime now = _deps.Time.GetUtcNow().UtcDateTime;
        V1PodStatus status = PodStatusBuilder.Build(pod, sandboxReady, podIp, _deps.Options.InternalIp, _views, _firstSeen, now, initialized, failure);
        _startup?.StatusBuilt(pod, status, _deps.Time.GetUtcNow());
        PodStatusUpdate update = await _deps.Status.SetPodStatusAsync(pod, status, cancellationToken).ConfigureAwait(false);
        if (update.PodGone)
        {
            _goneFromApi = true;
        }
        else if (update.Written is { } written && written.Metadata.Uid == pod.Metadata.Uid)
        {
            Volatile.Write(ref _pod, written);
        }
    }

    private Task<IReadOnlyList<PodSandbox>> SandboxesAsync(string uid, CancellationToken cancellationToken)
    {
        var filter = new PodSandboxFilter();
        filter.LabelSelector[CriLabels.PodUid] = uid;
        return _deps.Runtime.ListPodSandboxAsync(filter, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync of pod {Pod} failed: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Error syncing pod {Pod}, skipping")]
    private static partial void LogSyncCrashed(ILogger logger, string pod, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: sandbox {Sandbox} running")]
    private static partial void LogSandbox(ILogger logger, string pod, string sandbox);
}
