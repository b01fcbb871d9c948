using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Navarch.Api.Quantities;
using Microsoft.Extensions.Logging;
using Navarch.Client.Events;
using Navarch.Kubelet.Cache;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Node;
using Navarch.Kubelet.Pods;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// Materialises a pod's volumes before its containers start, in the kubelet's layout
/// <c>AGENT/pods/UID/volumes/kubernetes.io~PLUGIN/NAME</c>: emptyDir (a folder, or a tmpfs for medium Memory),
/// hostPath (type-checked, used in place), persistentVolumeClaim and generic ephemeral (the bound PersistentVolume's
/// hostPath or local source, see VolumeManager.PersistentVolumes.cs), configMap (files on disk), secret, downwardAPI and projected (files in a
/// tmpfs) written by the <see cref="AtomicWriter"/>. API-data volumes are refreshed every
/// <see cref="RefreshInterval"/> (and when the pod's labels or annotations change) from the
/// <see cref="Cache.PodObjectCache"/>, so updates reach running containers. Gives each container its CRI mounts, and
/// unmounts and removes everything when the pod goes: the one place in the kubelet that mounts and unmounts.
/// </summary>
internal sealed partial class VolumeManager
{
    private static readonly TimeSpan FailedMountEventInterval = TimeSpan.FromSeconds(60);
    private readonly KubeletOptions _options;
    private readonly EventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly VolumePayloads _payloads;
    private readonly IKubernetes _client;
    private readonly ConcurrentDictionary<string, PodVolumes> _pods = new(StringComparer.Ordinal);

    public VolumeManager(IKubernetes client, PodObjectCache objects, KubeletOptions options, EventRecorder events, TimeProvider time, ILogger logger, TimeSpan? refreshInterval = null)
    {
        _options = options;
        _events = events;
        _time = time;
        _logger = logger;
        _payloads = new VolumePayloads(client, objects, time, logger);
        _client = client;
        RefreshInterval = refreshInterval ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>How often configMap, secret, downwardAPI and projected volumes are rewritten from the API.</summary>
    public TimeSpan RefreshInterval { get; }

    /// <summary>The folder of a pod's state (its volumes live below it).</summary>
    public string PodDir(string uid) => Path.Combine(_options.AgentDir, "pods", uid);

    /// <summary>Where a volume of <paramref name="plugin"/> (e.g. empty-dir) lives on the host.</summary>
    public string VolumeDir(string uid, string plugin, string name) => Path.Combine(PodDir(uid), "volumes", "kubernetes.io~" + plugin, name);

    /// <summary>
    /// Sets up (first call) or refreshes (later calls, when due) the pod's volumes. False while a volume cannot be
    /// set up: a FailedMount event says why, and the pod stays ContainerCreating. A failed refresh keeps the old files.
    /// </summary>
    public async Task<bool> SetUpAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        PodVolumes state = _pods.GetOrAdd(pod.Metadata.Uid, _ => new PodVolumes());
        DateTimeOffset now = _time.GetUtcNow();
        string fingerprint = DownwardApi.FormatMap(pod.Metadata.Labels) + "\0" + DownwardApi.FormatMap(pod.Metadata.Annotations);
        if (state.Ready && now < state.RefreshedAt + RefreshInterval && fingerprint == state.Fingerprint)
        {
            return true;
        }

        foreach (V1Volume volume in pod.Spec.Volumes ?? [])
        {
            if (state.Ready && !IsApiData(volume))
            {
                continue;
            }

            try
            {
                state.Paths[volume.Name] = await SetUpVolumeAsync(pod, volume, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is VolumeSetupException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                string message = volume.PersistentVolumeClaim is not null || volume.Ephemeral is not null
                    ? $"Unable to attach or mount volumes: unmounted volumes=[{volume.Name}]: {e.Message}"
                    : volume.Csi is not null ? e.Message
                    : $"MountVolume.SetUp failed for volume \"{volume.Name}\" : {e.Message}";
                if (state.Ready)
                {
                    // Running containers keep the files they have.
                    LogRefreshFailed(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, message);
                    continue;
                }

                if (message != state.LastError || now >= state.LastErrorAt + FailedMountEventInterval)
                {
                    _events.Event(pod, "Warning", "FailedMount", message);
                    LogSetUpFailed(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, message);
                    state.LastError = message;
                    state.LastErrorAt = now;
                }

                return false;
            }
        }

        state.Ready = true;
        state.RefreshedAt = now;
        state.Fingerprint = fingerprint;
        return true;
    }

    /// <summary>The CRI mounts for <paramref name="container"/>'s volumeMounts (volumes must be set up).</summary>
    /// <exception cref="ContainerConfigException">A volumeMount names an unknown volume or has an invalid subPath.</exception>
    public List<Mount> Mounts(V1Pod pod, V1Container container, IReadOnlyDictionary<string, string> env)
    {
        var mounts = new List<Mount>();
        _pods.TryGetValue(pod.Metadata.Uid, out PodVolumes? state);
        foreach (V1VolumeMount vm in container.VolumeMounts ?? [])
        {
            V1Volume? volume = pod.Spec.Volumes?.FirstOrDefault(v => v.Name == vm.Name);
            if (volume is null || state is null || !state.Paths.TryGetValue(vm.Name, out string? hostPath))
            {
                throw new ContainerConfigException($"cannot find volume \"{vm.Name}\" to mount into container \"{container.Name}\"");
            }

            string? subPath = !string.IsNullOrEmpty(vm.SubPath) ? vm.SubPath
                : !string.IsNullOrEmpty(vm.SubPathExpr) ? PodRuntimeConfig.Expand(vm.SubPathExpr, env) : null;
            if (subPath is not null)
            {
                if (subPath.StartsWith('/') || subPath.Split('/').Contains(".."))
                {
                    throw new ContainerConfigException($"failed to prepare subPath for volumeMount \"{vm.Name}\" of container \"{container.Name}\": {subPath} must be a relative path without '..'");
                }

                hostPath = Path.Combine(hostPath, subPath);
                if (!File.Exists(hostPath) && !Directory.Exists(hostPath))
                {
                    // The kubelet creates a missing subPath as a folder.
                    Directory.CreateDirectory(hostPath);
                }
            }

            mounts.Add(new Mount
            {
                ContainerPath = vm.MountPath,
                HostPath = hostPath,
                Readonly = vm.ReadOnlyProperty == true || IsApiData(volume) || volume.PersistentVolumeClaim?.ReadOnlyProperty == true || volume.Csi?.ReadOnlyProperty == true,
                Propagation = vm.MountPropagation switch
                {
                    "HostToContainer" => MountPropagation.PropagationHostToContainer,
                    "Bidirectional" => MountPropagation.PropagationBidirectional,
                    _ => MountPropagation.PropagationPrivate,
                },
            });
        }

        return mounts;
    }

    /// <summary>Unpublishes a pod's CSI volumes, unmounts and removes its volumes (its containers must have stopped).</summary>
    public async Task TearDownAsync(string uid, CancellationToken cancellationToken)
    {
        if (_pods.TryRemove(uid, out PodVolumes? gone))
        {
            foreach (string name in gone.InUse)
            {
                _inUse.TryRemove(uid + "/" + name, out _);
            }
        }

        _payloads.Forget(uid);
        string dir = PodDir(uid);
        if (!Directory.Exists(dir))
        {
            return;
        }

        await TearDownCsiAsync(uid, cancellationToken).ConfigureAwait(false);
        foreach (string mount in MountTable.MountsUnder(dir))
        {
            MountTable.Unmount(mount);
        }

        // Never delete through a mount that is still there.
        if (MountTable.MountsUnder(dir).Count == 0)
        {
            Directory.Delete(dir, recursive: true);
            LogTornDown(_logger, uid);
        }
    }

    /// <summary>Tears down the volumes of pods not in <paramref name="known"/> (deleted while the agent was down).</summary>
    public async Task RemoveOrphansAsync(IReadOnlySet<string> known, CancellationToken cancellationToken)
    {
        string pods = Path.Combine(_options.AgentDir, "pods");
        if (!Directory.Exists(pods))
        {
            return;
        }

        foreach (string dir in Directory.EnumerateDirectories(pods))
        {
            string uid = Path.GetFileName(dir);
            if (!known.Contains(uid) && Directory.Exists(Path.Combine(dir, "volumes")))
            {
                await TearDownAsync(uid, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Volumes the kubelet always mounts read-only and keeps in sync with the API.</summary>
    private static bool IsApiData(V1Volume v) => v.ConfigMap is not null || v.Secret is not null || v.DownwardAPI is not null || v.Projected is not null;

    private async Task<string> SetUpVolumeAsync(V1Pod pod, V1Volume volume, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string uid = pod.Metadata.Uid;
        string ns = pod.Metadata.NamespaceProperty;
        long? fsGroup = pod.Spec.SecurityContext?.FsGroup;
        string hostIp = _options.InternalIp;
        if (volume.EmptyDir is { } emptyDir)
        {
            string dir = VolumeDir(uid, "empty-dir", volume.Name);
            switch (emptyDir.Medium ?? "")
            {
                case "":
                    Directory.CreateDirectory(dir);
                    break;
                case "Memory":
                    MountTable.EnsureTmpfs(dir, emptyDir.SizeLimit is { } size ? size.ToQuantity().Value : null);
                    break;
                default:
                    throw new VolumeSetupException($"emptyDir medium {emptyDir.Medium} is not supported");
            }

            // Anyone may write an emptyDir; with an fsGroup its files belong to that group (setgid folder).
            File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32(fsGroup is null ? "777" : "2777", 8));
            if (fsGroup is long gid)
            {
                PosixFiles.SetGroup(dir, gid);
            }

            return dir;
        }

        if (volume.HostPath is { } host)
        {
            HostPathCheck.Check(host.Path, host.Type);
            return host.Path;
        }

        if (volume.PersistentVolumeClaim is not null || volume.Ephemeral is not null)
        {
            (string path, string? uniqueName) = await SetUpClaimAsync(pod, volume, cancellationToken).ConfigureAwait(false);
            if (uniqueName is not null)
            {
                _pods[uid].InUse.Add(uniqueName);
                _inUse[uid + "/" + uniqueName] = uniqueName;
            }

            return path;
        }

        if (volume.Csi is not null)
        {
            return await SetUpCsiInlineAsync(pod, volume, cancellationToken).ConfigureAwait(false);
        }

        if (volume.ConfigMap is { } cm)
        {
            string dir = VolumeDir(uid, "configmap", volume.Name);
            Write(dir, _payloads.ConfigMap(ns, cm), now, fsGroup, pod);
            return dir;
        }

        if (volume.Secret is { } secret)
        {
            string dir = VolumeDir(uid, "secret", volume.Name);
            Dictionary<string, VolumeFile> payload = _payloads.Secret(ns, secret);
            MountTable.EnsureTmpfs(dir, null, "0755");
            Write(dir, payload, now, fsGroup, pod);
            return dir;
        }

        if (volume.DownwardAPI is { } downward)
        {
            string dir = VolumeDir(uid, "downward-api", volume.Name);
            Dictionary<string, VolumeFile> payload = VolumePayloads.DownwardApi(pod, downward.Items, downward.DefaultMode, null, hostIp);
            MountTable.EnsureTmpfs(dir, null, "0755");
            Write(dir, payload, now, fsGroup, pod);
            return dir;
        }

        if (volume.Projected is { } projected)
        {
            string dir = VolumeDir(uid, "projected", volume.Name);
            Dictionary<string, VolumeFile> payload = await _payloads.ProjectedAsync(pod, projected, null, hostIp, cancellationToken).ConfigureAwait(false);
            MountTable.EnsureTmpfs(dir, null, "0755");
            Write(dir, payload, now, fsGroup, pod);
            return dir;
        }

        throw new VolumeSetupException("this kubelet supports emptyDir, hostPath, persistentVolumeClaim, ephemeral, configMap, secret, downwardAPI and projected volumes only");
    }

    private void Write(string dir, IReadOnlyDictionary<string, VolumeFile> payload, DateTimeOffset now, long? fsGroup, V1Pod pod)
    {
        if (AtomicWriter.Write(dir, payload, now, fsGroup))
        {
            LogWritten(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, dir, payload.Count);
        }
    }

    /// <summary>What the manager knows of one pod's volumes; touched only by that pod's worker.</summary>
    private sealed class PodVolumes
    {
        public Dictionary<string, string> Paths { get; } = new(StringComparer.Ordinal);

        /// <summary>The unique names of the volumes this pod holds that the node reports in volumesInUse.</summary>
        public HashSet<string> InUse { get; } = new(StringComparer.Ordinal);

        public bool Ready { get; set; }

        public DateTimeOffset RefreshedAt { get; set; }

        public string Fingerprint { get; set; } = "";

        public string? LastError { get; set; }

        public DateTimeOffset LastErrorAt { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: {Message}")]
    private static partial void LogSetUpFailed(ILogger logger, string @namespace, string pod, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod}: refresh failed, keeping the files: {Message}")]
    private static partial void LogRefreshFailed(ILogger logger, string @namespace, string pod, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod}: wrote {Dir} ({Files} files)")]
    private static partial void LogWritten(ILogger logger, string @namespace, string pod, string dir, int files);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Uid}: volumes unmounted and removed")]
    private static partial void LogTornDown(ILogger logger, string uid);
}
