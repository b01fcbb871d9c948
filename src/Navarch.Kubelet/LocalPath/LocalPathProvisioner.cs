using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Quantities;
using Navarch.Api.Storage;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Kubelet.LocalPath;

/// <summary>
/// The built-in <c>local-path</c> dynamic provisioner, run by every agent for its own node (k3s ships Rancher's
/// local-path-provisioner; the work is here because the disk is on the node). It does what Kubernetes' external
/// provisioner and resizer do for a driver whose volumes live on one node:
/// <list type="bullet">
/// <item>a claim of a class with <see cref="ProvisionerName"/>, annotated <c>volume.kubernetes.io/storage-provisioner</c>
/// with it and <c>volume.kubernetes.io/selected-node</c> with this node (the scheduler's choice under
/// WaitForFirstConsumer), gets an ext4 image of its size on a loop device (<see cref="LoopImage"/>) and a
/// PersistentVolume <c>pvc-UID</c> with a <c>local</c> source, nodeAffinity to this node, claimRef pre-bound to the
/// claim and <c>pv.kubernetes.io/provisioned-by</c>; the PersistentVolume controller binds the claim;</item>
/// <item>a Released volume with reclaim policy Delete loses its image, then its PersistentVolume object;</item>
/// <item>a bound claim asking for more than its volume has (class with allowVolumeExpansion) grows the image and the
/// mounted filesystem online, then the volume's capacity and the claim's status.capacity;</item>
/// <item>at start, the node's volumes are mounted again (after a reboot).</item>
/// </list>
/// </summary>
public sealed partial class LocalPathProvisioner : IAsyncDisposable
{
    /// <summary>The provisioner's name (StorageClass.provisioner).</summary>
    public const string ProvisionerName = "navarch.io/local-path";

    /// <summary>The default StorageClass the server creates for it.</summary>
    public const string ClassName = "local-path";

    private const string HostnameLabel = "kubernetes.io/hostname";

    private readonly Kubernetes _client;
    private readonly string _node;
    private readonly string _root;
    private readonly ILogger _logger;
    private readonly EventRecorder _events;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1PersistentVolume> _volumes;
    private readonly Informer<V1StorageClass> _classes;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly TimeProvider _time;
    private readonly TimeSpan _resync;

    /// <summary>
    /// A provisioner for node <paramref name="nodeName"/> keeping its images under <paramref name="storageDir"/>; every
    /// <paramref name="resync"/> (30 s) it looks again without a change (an offline resize waits for a pod to go).
    /// </summary>
    public LocalPathProvisioner(Kubernetes client, string nodeName, string storageDir, ILoggerFactory loggers, TimeProvider? time = null, TimeSpan? resync = null)
    {
        _time = time ?? TimeProvider.System;
        _resync = resync ?? TimeSpan.FromSeconds(30);
        _client = client;
        _node = nodeName;
        _root = storageDir;
        _logger = loggers.CreateLogger<LocalPathProvisioner>();
        _events = new EventRecorder(client, ProvisionerName + "_" + nodeName, nodeName, time, _logger);
        _claims = new Informer<V1PersistentVolumeClaim>(client, time: time, logger: _logger);
        _volumes = new Informer<V1PersistentVolume>(client, time: time, logger: _logger);
        _classes = new Informer<V1StorageClass>(client, time: time, logger: _logger);
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim>(_ => Signal()));
        _volumes.AddHandler(new ResourceEventHandler<V1PersistentVolume>(_ => Signal()));
        _classes.AddHandler(new ResourceEventHandler<V1StorageClass>(_ => Signal()));
    }

    /// <summary>Watches claims, volumes and classes and reconciles this node's volumes until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Task[] informers = [_claims.RunAsync(cancellationToken), _volumes.RunAsync(cancellationToken), _classes.RunAsync(cancellationToken)];
        try
        {
            await Task.WhenAll(_claims.WaitForSyncAsync(cancellationToken), _volumes.WaitForSyncAsync(cancellationToken), _classes.WaitForSyncAsync(cancellationToken)).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                await ReconcileAsync(cancellationToken).ConfigureAwait(false);
                await _changed.WaitAsync(_resync, cancellationToken).ConfigureAwait(false);

                // One pass for a burst of changes.
                while (_changed.CurrentCount > 0)
                {
                    await _changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(informers).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _events.DisposeAsync().ConfigureAwait(false);
        _changed.Dispose();
    }

    private void Signal() => _changed.Release();

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var mine = _volumes.Store.List().Where(IsMine).ToDictionary(v => v.Metadata.Name, StringComparer.Ordinal);
        foreach (V1PersistentVolume volume in mine.Values)
        {
            await Guard(volume, "VolumeFailedDelete", () => ReconcileVolumeAsync(volume, cancellationToken)).ConfigureAwait(false);
        }

        foreach (V1PersistentVolumeClaim claim in _claims.Store.List())
        {
            if (string.IsNullOrEmpty(claim.Spec.VolumeName))
            {
                if (WantsProvisioning(claim) && !mine.ContainsKey(VolumeName(claim)))
                {
                    await Guard(claim, "ProvisioningFailed", () => ProvisionAsync(claim, cancellationToken)).ConfigureAwait(false);
                }
            }
            else if (mine.TryGetValue(claim.Spec.VolumeName, out V1PersistentVolume? volume) && volume.Spec.ClaimRef?.Uid == claim.Metadata.Uid)
            {
                await Guard(claim, "VolumeResizeFailed", () => ExpandAsync(claim, volume, cancellationToken)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs one step; a failure is an Event on <paramref name="involved"/> and is retried at the next pass.</summary>
    private async Task Guard(IKubernetesObject<V1ObjectMeta> involved, string reason, Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpOperationException or UnauthorizedAccessException or ProvisioningException)
        {
            string message = e is HttpOperationException h ? $"{(int)h.Response.StatusCode}: {h.Response.Content}" : e.Message;
            if (reason == "ProvisioningFailed")
            {
                message = $"failed to provision volume with StorageClass \"{((V1PersistentVolumeClaim)involved).Spec.StorageClassName}\": {message}";
            }

            _events.Event(involved, "Warning", reason, message);
            LogFailed(_logger, involved.Metadata.Name, reason, message);
        }
    }

    private bool WantsProvisioning(V1PersistentVolumeClaim claim)
    {
        IDictionary<string, string>? annotations = claim.Metadata.Annotations;
        string? provisioner = annotations?.TryGetValue(StorageAnnotations.StorageProvisioner, out string? p) == true ? p
            : annotations?.TryGetValue(StorageAnnotations.BetaStorageProvisioner, out string? beta) == true ? beta : null;
        return provisioner == ProvisionerName
            && annotations?.TryGetValue(StorageAnnotations.SelectedNode, out string? node) == true && node == _node
            && claim.Metadata.DeletionTimestamp is null
            && claim.Status?.Phase is null or "Pending";
    }

    private async Task ProvisionAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        V1StorageClass storageClass = _classes.Store.List().FirstOrDefault(c => c.Metadata.Name == claim.Spec.StorageClassName)
            ?? throw new ProvisioningException($"storageclass.storage.k8s.io \"{claim.Spec.StorageClassName}\" not found");
        if (storageClass.Provisioner != ProvisionerName)
        {
            return;
        }

        if (claim.Spec.AccessModes is not { Count: > 0 } modes || modes.Any(m => m is not ("ReadWriteOnce" or "ReadWriteOncePod")))
        {
            throw new ProvisioningException("local-path volumes are on one node: only ReadWriteOnce and ReadWriteOncePod access modes are supported");
        }

        if (claim.Spec.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? request) != true || request!.ToQuantity().Value <= 0)
        {
            throw new ProvisioningException("the claim requests no storage");
        }

        string name = VolumeName(claim);
        _events.Event(claim, "Normal", "Provisioning", $"External provisioner is provisioning volume for claim \"{claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}\"");
        var image = new LoopImage(_root, name);
        long size = LoopImage.SizeFor(request.ToQuantity().Value);
        bool block = claim.Spec.VolumeMode == "Block";
        if (!image.Exists)
        {
            await (block ? image.CreateBlockAsync(size, cancellationToken) : image.CreateAsync(size, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            await (block ? image.AttachAsync(cancellationToken) : image.MountAsync(cancellationToken)).ConfigureAwait(false);
        }

        var volume = new V1PersistentVolume
        {
            ApiVersion = "v1",
            Kind = "PersistentVolume",
            Metadata = new V1ObjectMeta { Name = name, Annotations = new Dictionary<string, string> { [StorageAnnotations.ProvisionedBy] = ProvisionerName } },
            Spec = new V1PersistentVolumeSpec
            {
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = Bytes(image.Size) },
                AccessModes = [.. modes],
                PersistentVolumeReclaimPolicy = storageClass.ReclaimPolicy ?? "Delete",
                StorageClassName = storageClass.Metadata.Name,
                VolumeMode = block ? "Block" : "Filesystem",
                MountOptions = block ? null : storageClass.MountOptions,
                Local = new V1LocalVolumeSource { Path = image.MountPath, FsType = block ? null : "ext4" },
                ClaimRef = new V1ObjectReference
                {
                    ApiVersion = "v1",
                    Kind = "PersistentVolumeClaim",
                    NamespaceProperty = claim.Metadata.NamespaceProperty,
                    Name = claim.Metadata.Name,
                    Uid = claim.Metadata.Uid,
                    ResourceVersion = claim.Metadata.ResourceVersion,
                },
                NodeAffinity = new V1VolumeNodeAffinity
                {
                    Required = new V1NodeSelector
                    {
                        NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = HostnameLabel, OperatorProperty = "In", Values = [_node] }] }],
                    },
                },
            },
        };
        try
        {
            await _client.CoreV1.CreatePersistentVolumeAsync(volume, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Made at an earlier pass whose watch event has not arrived yet.
            return;
        }

        _events.Event(claim, "Normal", "ProvisioningSucceeded", $"Successfully provisioned volume {name}");
        LogProvisioned(_logger, name, claim.Metadata.NamespaceProperty, claim.Metadata.Name, image.Size);
    }

    private async Task ReconcileVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        var image = new LoopImage(_root, volume.Metadata.Name);
        bool block = volume.Spec.VolumeMode == "Block";
        if (volume.Status?.Phase == "Released" && volume.Spec.PersistentVolumeReclaimPolicy == "Delete" && volume.Metadata.DeletionTimestamp is null)
        {
            if (block)
            {
                await image.RemoveBlockAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                image.Remove();
            }

            try
            {
                await _client.CoreV1.DeletePersistentVolumeAsync(volume.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }

            LogDeleted(_logger, volume.Metadata.Name);
            return;
        }

        if (image.Exists && volume.Status?.Phase != "Released")
        {
            await (block ? image.AttachAsync(cancellationToken) : image.MountAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Expansion in Kubernetes' two steps: the volume (the image file, then the PersistentVolume's capacity: the external
    /// resizer's part), then the filesystem (the kubelet's NodeExpandVolume: the claim's status.capacity), which waits
    /// with the claim condition FileSystemResizePending while a pod uses a volume that cannot grow online.
    /// </summary>
    private async Task ExpandAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        if (claim.Spec.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? request) != true
            || volume.Spec.Capacity?.TryGetValue("storage", out ResourceQuantity? capacity) != true)
        {
            return;
        }

        var image = new LoopImage(_root, volume.Metadata.Name);
        if (request!.ToQuantity().CompareTo(capacity!.ToQuantity()) > 0)
        {
            V1StorageClass? storageClass = _classes.Store.List().FirstOrDefault(c => c.Metadata.Name == claim.Spec.StorageClassName);
            if (storageClass?.AllowVolumeExpansion != true)
            {
                return;
            }

            await image.GrowAsync(LoopImage.SizeFor(request.ToQuantity().Value), cancellationToken).ConfigureAwait(false);
            capacity = Bytes(image.Size);
            volume.Spec.Capacity["storage"] = capacity;
            await _client.CoreV1.ReplacePersistentVolumeAsync(volume, volume.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events.Event(claim, "Normal", "VolumeResizeSuccessful", "resize volume succeeded");
        }

        // The filesystem's step starts once the claim is bound with the capacity it was bound at.
        ResourceQuantity? reported = claim.Status?.Capacity?.TryGetValue("storage", out ResourceQuantity? r) == true ? r : null;
        if (claim.Status?.Phase != "Bound" || reported is null || reported.ToQuantity().CompareTo(capacity.ToQuantity()) >= 0)
        {
            return;
        }

        // A raw block volume has no filesystem to grow: the bigger device is the whole step.
        bool grown = volume.Spec.VolumeMode == "Block" || await image.ResizeFileSystemAsync(cancellationToken).ConfigureAwait(false);
        if (!grown && claim.Status?.Conditions?.Any(c => c.Type == "FileSystemResizePending") == true)
        {
            return;
        }

        V1PersistentVolumeClaim current = await _client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim.Metadata.Name, claim.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        current.Status ??= new V1PersistentVolumeClaimStatus();
        List<V1PersistentVolumeClaimCondition> conditions = [.. (current.Status.Conditions ?? []).Where(c => c.Type is not ("Resizing" or "FileSystemResizePending"))];
        if (grown)
        {
            current.Status.Capacity = new Dictionary<string, ResourceQuantity>(current.Status.Capacity ?? new Dictionary<string, ResourceQuantity>()) { ["storage"] = capacity! };
        }
        else
        {
            conditions.Add(new V1PersistentVolumeClaimCondition
            {
                Type = "FileSystemResizePending",
                Status = "True",
                LastTransitionTime = _time.GetUtcNow().UtcDateTime,
                Message = "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
            });
        }

        current.Status.Conditions = conditions;
        await _client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(current, current.Metadata.Name, current.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (grown)
        {
            _events.Event(claim, "Normal", "FileSystemResizeSuccessful", $"MountVolume.NodeExpandVolume succeeded for volume \"{volume.Metadata.Name}\" {_node}");
            LogExpanded(_logger, volume.Metadata.Name, image.Size);
        }
    }

    /// <summary>A volume this provisioner made for this node.</summary>
    private bool IsMine(V1PersistentVolume volume) =>
        volume.Metadata.Annotations?.TryGetValue(StorageAnnotations.ProvisionedBy, out string? by) == true && by == ProvisionerName
        && volume.Spec.NodeAffinity?.Required?.NodeSelectorTerms?.Any(t => t.MatchExpressions?.Any(e => e.Key == HostnameLabel && e.Values?.Contains(_node) == true) == true) == true;

    /// <summary>The external provisioner's volume name: the prefix "pvc" and the claim's UID.</summary>
    private static string VolumeName(V1PersistentVolumeClaim claim) => "pvc-" + claim.Metadata.Uid;

    private static ResourceQuantity Bytes(long bytes) => new(Quantity.FromUnits(bytes, QuantityFormat.BinarySI).ToString());

    [LoggerMessage(Level = LogLevel.Information, Message = "Provisioned {Volume} for claim {Namespace}/{Claim} ({Bytes} bytes)")]
    private static partial void LogProvisioned(ILogger logger, string volume, string @namespace, string claim, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted volume {Volume} and its image")]
    private static partial void LogDeleted(ILogger logger, string volume);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expanded volume {Volume} to {Bytes} bytes")]
    private static partial void LogExpanded(ILogger logger, string volume, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Object}: {Reason}: {Message}")]
    private static partial void LogFailed(ILogger logger, string @object, string reason, string message);
}
