using System.Net;
using System.Text.Json;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Events;
using Navarch.Kubelet.Cri;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Images;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// Drives one pod to its spec through the CRI: a sandbox, images, app containers (restarted by restartPolicy with
/// back-off 10 s doubling to 5 min), status through the status subresource; on deletion it stops the containers
/// within the grace period, removes the sandbox and then the API object. One worker per pod UID; a sync runs when
/// the pod changes and every second while the worker lives.
/// </summary>
internal sealed partial class PodWorker
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly IKubernetes _client;
    private readonly CriConnection _cri;
    private readonly KubeletOptions _options;
    private readonly EventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly System.Threading.Channels.Channel<bool> _signal = System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, ContainerView> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _pullBackoffUntil = new(StringComparer.Ordinal);
    private V1Pod _pod;
    private bool _goneFromApi;
    private string _lastStatus = "";
    private readonly DateTime _firstSeen;

    private readonly VolumeManager _volumes;
    private readonly ContainerEnvironment _environment;

    public PodWorker(V1Pod pod, IKubernetes client, CriConnection cri, KubeletOptions options, EventRecorder events, TimeProvider time, ILogger logger, VolumeManager volumes, ContainerEnvironment environment)
    {
        _volumes = volumes;
        _environment = environment;
        _pod = pod;
        _client = client;
        _cri = cri;
        _options = options;
        _events = events;
        _time = time;
        _logger = logger;
        _firstSeen = time.GetUtcNow().UtcDateTime;
    }

    public string Uid => _pod.Metadata.Uid;

    /// <summary>Gives the worker a newer version of its pod; <paramref name="deleted"/> when the API object is gone.</summary>
    public void Update(V1Pod pod, bool deleted = false)
    {
        Volatile.Write(ref _pod, pod);
        if (deleted)
        {
            _goneFromApi = true;
        }

        // Dropped when a sync is already due.
        _signal.Writer.TryWrite(true);
    }

    /// <summary>Syncs until the pod is torn down (returns) or the kubelet stops (cancelled).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            bool done;
            try
            {
                done = await SyncAsync(Volatile.Read(ref _pod), cancellationToken).ConfigureAwait(false);
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

            if (done)
            {
                return;
            }

            using var timeout = new CancellationTokenSource(Resync, _time);
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await _signal.Reader.WaitToReadAsync(wake.Token).ConfigureAwait(false);
                _signal.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private string Key => $"{_pod.Metadata.NamespaceProperty}/{_pod.Metadata.Name}";

    /// <summary>One pass; returns true when the pod is gone for good.</summary>
    private async Task<bool> SyncAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        if (_goneFromApi || pod.Metadata.DeletionTimestamp is not null)
        {
            await TerminateAsync(pod, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            // Terminal pods keep their record but no longer hold resources.
            await StopSandboxesAsync(pod, gracePeriod: 0, remove: false, cancellationToken).ConfigureAwait(false);
            _volumes.TearDown(pod.Metadata.Uid);
            return false;
        }

        // Volumes come before the sandbox; one that cannot be set up keeps the pod ContainerCreating.
        if (!await _volumes.SetUpAsync(pod, cancellationToken).ConfigureAwait(false))
        {
            await PostStatusAsync(pod, false, null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        PodSandboxConfig sandboxConfig;
        List<PodSandbox> sandboxes = await SandboxesAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
        PodSandbox? ready = sandboxes.Where(s => s.State == PodSandboxState.SandboxReady).MaxBy(s => s.CreatedAt);
        string sandboxId;
        if (ready is null)
        {
            // A sandbox that died takes its containers with it: start over with a new one.
            foreach (PodSandbox old in sandboxes)
            {
                await _cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = old.Id }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            sandboxConfig = PodRuntimeConfig.Sandbox(_options, pod, (uint)sandboxes.Count);
            Directory.CreateDirectory(sandboxConfig.LogDirectory);
            await PostStatusAsync(pod, false, null, cancellationToken).ConfigureAwait(false);
            RunPodSandboxResponse run = await _cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, cancellationToken: cancellationToken).ConfigureAwait(false);
            sandboxId = run.PodSandboxId;
            LogSandbox(_logger, Key, sandboxId);
        }
        else
        {
            sandboxId = ready.Id;
            sandboxConfig = PodRuntimeConfig.Sandbox(_options, pod, ready.Metadata.Attempt);
        }

        PodSandboxStatusResponse sandbox = await _cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        string? podIp = pod.Spec.HostNetwork == true ? _hostIp : sandbox.Status?.Network?.Ip;

        ListContainersResponse list = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = sandboxId } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (V1Container container in pod.Spec.Containers)
        {
            await SyncContainerAsync(pod, container, sandboxId, sandboxConfig, list.Containers.Where(c => c.Metadata.Name == container.Name).ToList(), cancellationToken).ConfigureAwait(false);
        }

        await PostStatusAsync(pod, sandbox.Status?.State == PodSandboxState.SandboxReady, podIp, cancellationToken).ConfigureAwait(false);
        return false;
    }

    private readonly string _hostIp = Node.HostInfoAccess.InternalIp;

    private async Task SyncContainerAsync(V1Pod pod, V1Container spec, string sandboxId, PodSandboxConfig sandboxConfig, List<Container> existing, CancellationToken cancellationToken)
    {
        if (!_views.TryGetValue(spec.Name, out ContainerView? view))
        {
            _views[spec.Name] = view = new ContainerView();
        }

        List<Container> ordered = [.. existing.OrderByDescending(c => c.Metadata.Attempt)];
        Container? latest = ordered.FirstOrDefault();
        view.Current = latest is null ? null : await StatusAsync(latest.Id, cancellationToken).ConfigureAwait(false);
        view.Previous = ordered.Count > 1 ? await StatusAsync(ordered[1].Id, cancellationToken).ConfigureAwait(false) : null;
        view.WaitingReason = null;
        view.WaitingMessage = null;

        ContainerStatus? current = view.Current;
        if (current?.State == ContainerState.ContainerRunning)
        {
            return;
        }

        if (current?.State == ContainerState.ContainerCreated)
        {
            await StartAsync(pod, spec, current.Id, cancellationToken).ConfigureAwait(false);
            view.Current = await StatusAsync(current.Id, cancellationToken).ConfigureAwait(false);
            return;
        }

        uint attempt = 0;
        if (current is not null)
        {
            // Exited: restart by the pod's restartPolicy, after the back-off of its restart count.
            string policy = pod.Spec.RestartPolicy ?? "Always";
            bool restart = policy == "Always" || (policy == "OnFailure" && current.ExitCode != 0);
            if (!restart)
            {
                return;
            }

            DateTimeOffset finished = DateTimeOffset.UnixEpoch.AddTicks(current.FinishedAt / 100);
            DateTimeOffset started = DateTimeOffset.UnixEpoch.AddTicks(current.StartedAt / 100);
            TimeSpan delay = finished - started > TimeSpan.FromMinutes(10) ? TimeSpan.Zero : Backoff(current.Metadata.Attempt);
            if (_time.GetUtcNow() < finished + delay)
            {
                view.WaitingReason = "CrashLoopBackOff";
                view.WaitingMessage = $"back-off {delay.TotalSeconds:0}s restarting failed container={spec.Name} pod={pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({pod.Metadata.Uid})";
                return;
            }

            attempt = current.Metadata.Attempt + 1;

            // Keep only the last dead container (for logs --previous).
            foreach (Container old in ordered.Skip(1))
            {
                await _cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = old.Id }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        string? imageRef = await EnsureImageAsync(pod, spec, view, sandboxConfig, cancellationToken).ConfigureAwait(false);
        if (imageRef is null)
        {
            return;
        }

        ContainerConfig? config = await _environment.ConfigAsync(pod, spec, sandboxId, imageRef, attempt, _volumes, view, cancellationToken).ConfigureAwait(false);
        if (config is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.Combine(sandboxConfig.LogDirectory, spec.Name));
        CreateContainerResponse created = await _cri.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = sandboxId, Config = config, SandboxConfig = sandboxConfig }, cancellationToken: cancellationToken).ConfigureAwait(false);
        _events.Event(pod, "Normal", "Created", $"Created container {spec.Name}");
        await StartAsync(pod, spec, created.ContainerId, cancellationToken).ConfigureAwait(false);
        view.Previous = current;
        view.Current = await StatusAsync(created.ContainerId, cancellationToken).ConfigureAwait(false);
    }

    private async Task StartAsync(V1Pod pod, V1Container spec, string id, CancellationToken cancellationToken)
    {
        await _cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: cancellationToken).ConfigureAwait(false);
        _events.Event(pod, "Normal", "Started", $"Started container {spec.Name}");
        LogStarted(_logger, Key, spec.Name, id);
    }

    private async Task<ContainerStatus?> StatusAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return (await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id }, cancellationToken: cancellationToken).ConfigureAwait(false)).Status;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    internal static TimeSpan Backoff(uint restarts)
    {
        double seconds = InitialBackoff.TotalSeconds * Math.Pow(2, Math.Min(restarts, 16));
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxBackoff.TotalSeconds));
    }

    /// <summary>Makes the image present by the container's imagePullPolicy; returns its image ID, or null (waiting).</summary>
    private async Task<string?> EnsureImageAsync(V1Pod pod, V1Container spec, ContainerView view, PodSandboxConfig sandboxConfig, CancellationToken cancellationToken)
    {
        string policy = spec.ImagePullPolicy ?? ImageReference.DefaultPullPolicy(spec.Image);
        ImageStatusResponse present = await _cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = spec.Image } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (present.Image is not null && policy != "Always")
        {
            return present.Image.Id;
        }

        if (policy == "Never")
        {
            view.WaitingReason = "ErrImageNeverPull";
            view.WaitingMessage = $"Container image \"{spec.Image}\" is not present with pull policy of Never";
            return null;
        }

        if (_pullBackoffUntil.TryGetValue(spec.Image, out DateTimeOffset until) && _time.GetUtcNow() < until)
        {
            view.WaitingReason = "ImagePullBackOff";
            view.WaitingMessage = $"Back-off pulling image \"{spec.Image}\"";
            return null;
        }

        _events.Event(pod, "Normal", "Pulling", $"Pulling image \"{spec.Image}\"");
        try
        {
            PullImageResponse pulled = await _cri.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = spec.Image }, SandboxConfig = sandboxConfig }, cancellationToken: cancellationToken).ConfigureAwait(false);
            _pullBackoffUntil.Remove(spec.Image);
            _events.Event(pod, "Normal", "Pulled", $"Successfully pulled image \"{spec.Image}\"");
            ImageStatusResponse status = await _cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = pulled.ImageRef } }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return status.Image?.Id ?? pulled.ImageRef;
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            _pullBackoffUntil[spec.Image] = _time.GetUtcNow() + InitialBackoff;
            _events.Event(pod, "Warning", "Failed", $"Failed to pull image \"{spec.Image}\": {e.Status.Detail}");
            view.WaitingReason = "ErrImagePull";
            view.WaitingMessage = e.Status.Detail;
            return null;
        }
    }

    private async Task PostStatusAsync(V1Pod pod, bool sandboxReady, string? podIp, CancellationToken cancellationToken)
    {
        DateTime now = _time.GetUtcNow().UtcDateTime;
        V1PodStatus status = PodStatusBuilder.Build(pod, sandboxReady, podIp, _hostIp, _views, _firstSeen, now);

        // Write only changes; transition times come from the previous status so an unchanged pod compares equal.
        string json = KubernetesJson.Serialize(new { status });
        if (json == _lastStatus)
        {
            return;
        }

        try
        {
            V1Pod updated = await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(json, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _lastStatus = json;
            if (updated.Metadata.Uid == pod.Metadata.Uid)
            {
                Volatile.Write(ref _pod, updated);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            _goneFromApi = true;
        }
    }

    private async Task TerminateAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        long grace = pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
        await StopSandboxesAsync(pod, grace, remove: true, cancellationToken).ConfigureAwait(false);
        _volumes.TearDown(pod.Metadata.Uid);
        if (_goneFromApi)
        {
            return;
        }

        try
        {
            var options = new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } };
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogDeleted(_logger, Key);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }

    /// <summary>Stops every container of the pod within the grace period, then its sandboxes (and removes them).</summary>
    private async Task StopSandboxesAsync(V1Pod pod, long gracePeriod, bool remove, CancellationToken cancellationToken)
    {
        List<PodSandbox> sandboxes = await SandboxesAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
        if (sandboxes.Count == 0)
        {
            return;
        }

        var filter = new ContainerFilter();
        filter.LabelSelector[CriLabels.PodUid] = pod.Metadata.Uid;
        ListContainersResponse containers = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false);
        var running = containers.Containers.Where(c => c.State == ContainerState.ContainerRunning).ToList();
        foreach (Container c in running)
        {
            _events.Event(pod, "Normal", "Killing", $"Stopping container {c.Metadata.Name}");
        }

        await Task.WhenAll(running.Select(c => _cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = c.Id, Timeout = gracePeriod }, cancellationToken: cancellationToken).ResponseAsync)).ConfigureAwait(false);
        foreach (PodSandbox sandbox in sandboxes)
        {
            if (sandbox.State == PodSandboxState.SandboxReady)
            {
                await _cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandbox.Id }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            if (remove)
            {
                await _cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandbox.Id }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<List<PodSandbox>> SandboxesAsync(string uid, CancellationToken cancellationToken)
    {
        var filter = new PodSandboxFilter();
        filter.LabelSelector[CriLabels.PodUid] = uid;
        ListPodSandboxResponse list = await _cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. list.Items];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync of pod {Pod} failed: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string pod, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: sandbox {Sandbox} running")]
    private static partial void LogSandbox(ILogger logger, string pod, string sandbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: container {Container} started ({Id})")]
    private static partial void LogStarted(ILogger logger, string pod, string container, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: containers and sandbox removed; pod deleted")]
    private static partial void LogDeleted(ILogger logger, string pod);
}
