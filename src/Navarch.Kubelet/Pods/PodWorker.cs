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
using Navarch.Kubelet.Pods.Probes;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// Drives one pod to its spec through the CRI, the kubelet's way: a sandbox; init containers one at a time, each to
/// success (sidecars — init containers with restartPolicy Always — started in order and kept running); then the app
/// containers, restarted by restartPolicy with <see cref="RestartBackoff"/>; probes (<see cref="PodProbes"/>),
/// lifecycle hooks, activeDeadlineSeconds; status through the status subresource. On deletion the containers stop
/// (preStop, then SIGTERM, then SIGKILL at the end of the grace period; sidecars after the app containers), the
/// sandbox is removed and then the API object. One worker per pod UID; a sync runs when the pod changes, when a
/// probe result changes, and every second while the worker lives.
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
    private readonly Dictionary<string, (DateTimeOffset Until, TimeSpan Delay, DateTimeOffset FailedAt, string? Failure)> _pullBackoff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _terminationMessages = new(StringComparer.Ordinal);
    private readonly HashSet<string> _backoffEventSent = new(StringComparer.Ordinal);
    private readonly RestartBackoff _backoff;
    private readonly Prober _prober;
    private readonly PodProbes _probes;
    private V1Pod _pod;
    private bool _goneFromApi;
    private string _lastStatus = "";
    private string? _podIp;
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
        _backoff = new RestartBackoff(time, InitialBackoff, MaxBackoff);
        _prober = new Prober(cri, time);
        _probes = new PodProbes(_prober, time, OnProbeFailed, () => _signal.Writer.TryWrite(true));
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
        try
        {
            await LoopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _probes.StopAllAsync().ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
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
            _probes.Sync(null, []);
            await StopSandboxesAsync(pod, gracePeriod: 0, remove: false, cancellationToken).ConfigureAwait(false);
            _volumes.TearDown(pod.Metadata.Uid);
            return false;
        }

        // Volumes come before the sandbox; one that cannot be set up keeps the pod ContainerCreating.
        if (!await _volumes.SetUpAsync(pod, cancellationToken).ConfigureAwait(false))
        {
            await PostStatusAsync(pod, false, null, false, null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        PodSandboxConfig sandboxConfig;
        List<PodSandbox> sandboxes = await SandboxesAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
        PodSandbox? ready = sandboxes.Where(s => s.State == PodSandboxState.SandboxReady).MaxBy(s => s.CreatedAt);
        string sandboxId;
        if (ready is null)
        {
            // A sandbox that died takes its containers with it: start over with a new one (init containers too).
            foreach (PodSandbox old in sandboxes)
            {
                await _cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = old.Id }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            sandboxConfig = PodRuntimeConfig.Sandbox(_options, pod, (uint)sandboxes.Count);
            Directory.CreateDirectory(sandboxConfig.LogDirectory);
            await PostStatusAsync(pod, false, null, false, null, cancellationToken).ConfigureAwait(false);
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
        _podIp = podIp;
        bool sandboxReady = sandbox.Status?.State == PodSandboxState.SandboxReady && !string.IsNullOrEmpty(podIp);
        var sb = new SandboxContext(sandboxId, sandboxConfig, podIp);

        IList<V1Container> inits = pod.Spec.InitContainers ?? [];
        ListContainersResponse list = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = sandboxId } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (V1Container spec in inits.Concat(pod.Spec.Containers))
        {
            await RefreshAsync(spec, list.Containers, cancellationToken).ConfigureAwait(false);
        }

        UpdateProbes(pod, podIp);

        if (DeadlineExceeded(pod))
        {
            await FailForDeadlineAsync(pod, sb, sandboxReady, cancellationToken).ConfigureAwait(false);
            return false;
        }

        await KillUnhealthyAsync(pod, list.Containers, cancellationToken).ConfigureAwait(false);

        // Init containers ran to completion in this sandbox once any app container was made in it.
        bool appsMade = pod.Spec.Containers.Any(c => list.Containers.Any(x => x.Metadata.Name == c.Name));
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
                foreach (V1Container spec in inits.Where(PodStatusBuilder.IsSidecar))
                {
                    await RefreshAsync(spec, (await ListAsync(sandboxId, cancellationToken).ConfigureAwait(false)).Containers, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        UpdateProbes(pod, podIp);
        await PostStatusAsync(pod, sandboxReady, podIp, initialized || appsMade, null, cancellationToken).ConfigureAwait(false);
        return false;
    }

    private string _hostIp => _options.InternalIp;

    private Task<ListContainersResponse> ListAsync(string sandboxId, CancellationToken cancellationToken) =>
        _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = sandboxId } }, cancellationToken: cancellationToken).ResponseAsync;

    private ContainerView View(string name)
    {
        if (!_views.TryGetValue(name, out ContainerView? view))
        {
            _views[name] = view = new ContainerView();
        }

        return view;
    }

    /// <summary>Makes the image present by the container's imagePullPolicy; returns its image ID, or null (waiting).</summary>
    private async Task<string?> EnsureImageAsync(V1Pod pod, V1Container spec, ContainerView view, PodSandboxConfig sandboxConfig, CancellationToken cancellationToken)
    {
        string policy = spec.ImagePullPolicy ?? ImageReference.DefaultPullPolicy(spec.Image);
        ImageStatusResponse present = await _cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = spec.Image } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (present.Image is not null && policy != "Always")
        {
            if (!view.ImageReported)
            {
                _events.Event(pod, "Normal", "Pulled", $"Container image \"{spec.Image}\" already present on machine");
                view.ImageReported = true;
            }

            return present.Image.Id;
        }

        if (policy == "Never")
        {
            view.WaitingReason = "ErrImageNeverPull";
            view.WaitingMessage = $"Container image \"{spec.Image}\" is not present with pull policy of Never";
            return null;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if (_pullBackoff.TryGetValue(spec.Image, out var backoff) && now < backoff.Until)
        {
            // The kubelet re-syncs a pod whose pull failed only after its worker back-off (10 s), so ErrImagePull
            // stays that long before ImagePullBackOff shows.
            bool recent = now - backoff.FailedAt < InitialBackoff;
            view.WaitingReason = recent ? "ErrImagePull" : "ImagePullBackOff";
            view.WaitingMessage = recent ? backoff.Failure : $"Back-off pulling image \"{spec.Image}\"";
            return null;
        }

        IReadOnlyList<AuthConfig> credentials = (await PullSecretsAsync(pod, cancellationToken).ConfigureAwait(false)).Lookup(spec.Image);
        _events.Event(pod, "Normal", "Pulling", $"Pulling image \"{spec.Image}\"");
        string? failure = null;
        // As the kubelet: anonymous when no secret matches the image, else each matching credential in turn.
        foreach (AuthConfig? auth in credentials.Count == 0 ? new AuthConfig?[] { null } : credentials.ToArray<AuthConfig?>())
        {
            try
            {
                PullImageResponse pulled = await _cri.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = spec.Image }, Auth = auth, SandboxConfig = sandboxConfig }, cancellationToken: cancellationToken).ConfigureAwait(false);
                _pullBackoff.Remove(spec.Image);
                _events.Event(pod, "Normal", "Pulled", $"Successfully pulled image \"{spec.Image}\"");
                ImageStatusResponse status = await _cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = pulled.ImageRef } }, cancellationToken: cancellationToken).ConfigureAwait(false);
                return status.Image?.Id ?? pulled.ImageRef;
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                failure = e.Status.Detail;
            }
        }

        // Image pull back-off: 10 s doubling to 5 min per image, as the kubelet's.
        TimeSpan delay = backoff.Delay == TimeSpan.Zero ? InitialBackoff : TimeSpan.FromTicks(Math.Min(backoff.Delay.Ticks * 2, MaxBackoff.Ticks));
        _pullBackoff[spec.Image] = (now + delay, delay, now, failure);
        _events.Event(pod, "Warning", "Failed", $"Failed to pull image \"{spec.Image}\": {failure}");
        view.WaitingReason = "ErrImagePull";
        view.WaitingMessage = failure;
        return null;
    }

    /// <summary>
    /// The pod's imagePullSecrets as a keyring; secrets that cannot be read are left out with the kubelet's
    /// FailedToRetrieveImagePullSecret event, and the pull is still tried.
    /// </summary>
    private async Task<PullCredentials> PullSecretsAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var secrets = new List<V1Secret>();
        var missing = new List<string>();
        foreach (V1LocalObjectReference reference in pod.Spec.ImagePullSecrets ?? [])
        {
            if (string.IsNullOrEmpty(reference.Name))
            {
                continue;
            }

            try
            {
                secrets.Add(await _client.CoreV1.ReadNamespacedSecretAsync(reference.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                missing.Add(reference.Name);
            }
        }

        if (missing.Count > 0)
        {
            _events.Event(pod, "Warning", "FailedToRetrieveImagePullSecret", $"Unable to retrieve some image pull secrets ({string.Join(", ", missing)}); attempting to pull the image may not succeed.");
        }

        return PullCredentials.From(secrets);
    }

    private async Task PostStatusAsync(V1Pod pod, bool sandboxReady, string? podIp, bool initialized, (string Reason, string Message)? failure, CancellationToken cancellationToken)
    {
        DateTime now = _time.GetUtcNow().UtcDateTime;
        V1PodStatus status = PodStatusBuilder.Build(pod, sandboxReady, podIp, _hostIp, _views, _firstSeen, now, initialized, failure);

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
        _probes.Sync(null, []);
        await KillContainersAsync(pod, grace, cancellationToken).ConfigureAwait(false);
        await StopSandboxesAsync(pod, grace, remove: true, cancellationToken).ConfigureAwait(false);
        _volumes.TearDown(pod.Metadata.Uid);
        string podState = TerminationMessages.PodDirectory(_options, pod.Metadata.Uid);
        if (Directory.Exists(podState))
        {
            Directory.Delete(podState, recursive: true);
        }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod}: containers and sandbox removed; pod deleted")]
    private static partial void LogDeleted(ILogger logger, string pod);
}
