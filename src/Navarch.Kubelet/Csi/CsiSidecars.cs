using System.Net;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Quantities;
using Navarch.Api.Storage;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Kubelet.Csi.V1;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The control-plane part of the CSI sidecars, built in and run by the agent for the drivers registered on its node
/// (Navarch ships no sidecar images; a driver's node plugin serving its Controller service on the socket it registers
/// — as csi-driver-host-path and most single-binary drivers do — needs nothing else):
/// <list type="bullet">
/// <item>external-attacher: a VolumeAttachment for this node whose attacher is a driver registered here is attached with
/// ControllerPublishVolume (when the driver has PUBLISH_UNPUBLISH_VOLUME; otherwise marked attached at once):
/// finalizer <c>external-attacher/DRIVER</c>, then <c>status.attached</c> with the publish context as attachmentMetadata,
/// or <c>status.attachError</c>; on deletion ControllerUnpublishVolume, then the finalizer goes;</item>
/// <item>external-provisioner: a Pending claim handed to a driver registered here (annotation
/// <c>volume.kubernetes.io/storage-provisioner</c>) whose <c>volume.kubernetes.io/selected-node</c> is this node — or,
/// without one, when this node is the first by name whose CSINode lists the driver — gets CreateVolume (name
/// <c>pvc-UID</c>, the class's parameters, the provisioner secret of <see cref="CsiSecretParameters"/>, the node's
/// topology as requisite) and the PersistentVolume <c>pvc-UID</c> (with the class's other secret references)
/// pre-bound to it; a Released volume it provisioned with reclaim policy Delete gets DeleteVolume, then goes;</item>
/// <item>external-resizer (<see cref="CsiResizer"/>): a bound claim grown beyond its capacity, on a volume of a driver
/// registered here, gets ControllerExpandVolume; and the kubelet's NodeExpandVolume (<see cref="CsiNodeExpander"/>)
/// for a volume in use on this node whose claim waits for the node's part of a resize.</item>
/// </list>
/// </summary>
internal sealed partial class CsiSidecars : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly CsiDrivers _drivers;
    private readonly string _node;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EventRecorder _events;
    private readonly Informer<V1VolumeAttachment> _attachments;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1PersistentVolume> _volumes;
    private readonly Informer<V1StorageClass> _classes;
    private readonly Informer<V1CSINode> _csiNodes;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly CsiResizer _resizer;
    private readonly CsiNodeExpander _nodeExpander;

    public CsiSidecars(Kubernetes client, CsiDrivers drivers, string kubeletRoot, string nodeName, ILoggerFactory loggers, TimeProvider time)
    {
        _client = client;
        _drivers = drivers;
        _node = nodeName;
        _time = time;
        _logger = loggers.CreateLogger<CsiSidecars>();
        _events = new EventRecorder(client, "csi-sidecars_" + nodeName, nodeName, time, _logger);
        _attachments = new Informer<V1VolumeAttachment>(client, time: time, logger: _logger);
        _claims = new Informer<V1PersistentVolumeClaim>(client, time: time, logger: _logger);
        _volumes = new Informer<V1PersistentVolume>(client, time: time, logger: _logger);
        _classes = new Informer<V1StorageClass>(client, time: time, logger: _logger);
        _csiNodes = new Informer<V1CSINode>(client, time: time, logger: _logger);
        _resizer = new CsiResizer(client, nodeName, time, _logger);
        _nodeExpander = new CsiNodeExpander(client, kubeletRoot, nodeName, time, _logger);
        _attachments.AddHandler(new ResourceEventHandler<V1VolumeAttachment>(_ => Signal()));
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim>(_ => Signal()));
        _volumes.AddHandler(new ResourceEventHandler<V1PersistentVolume>(_ => Signal()));
        _csiNodes.AddHandler(new ResourceEventHandler<V1CSINode>(_ => Signal()));
    }

    /// <summary>How often everything is looked at again without a change (a driver registered meanwhile, a retry).</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(5);

    private void Signal() => _changed.Release();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        IInformer[] all = [_attachments, _claims, _volumes, _classes, _csiNodes];
        Task[] informers = [.. all.Select(i => i.RunAsync(cancellationToken))];
        try
        {
            await Task.WhenAll(all.Select(i => i.WaitForSyncAsync(cancellationToken))).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (_drivers.Names.Count > 0)
                {
                    await SyncAsync(cancellationToken).ConfigureAwait(false);
                }

                await _changed.WaitAsync(Resync, cancellationToken).ConfigureAwait(false);

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

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        foreach (V1VolumeAttachment attachment in _attachments.Store.List().Where(a => a.Spec?.NodeName == _node && _drivers.Get(a.Spec.Attacher) is not null))
        {
            await Guarded($"VolumeAttachment {attachment.Metadata.Name}", () => SyncAttachmentAsync(attachment, _drivers.Get(attachment.Spec.Attacher)!, cancellationToken)).ConfigureAwait(false);
        }

        foreach (V1PersistentVolumeClaim claim in _claims.Store.List())
        {
            if (claim.Status?.Phase is null or "Pending" && string.IsNullOrEmpty(claim.Spec?.VolumeName) && claim.Metadata.DeletionTimestamp is null
                && ProvisionerOf(claim) is { } name && _drivers.Get(name) is { } driver && Responsible(name, Annotation(claim.Metadata, StorageAnnotations.SelectedNode))
                && _volumes.Store.Get("pvc-" + claim.Metadata.Uid) is null)
            {
                await Guarded($"claim {claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}", () => ProvisionAsync(claim, driver, cancellationToken)).ConfigureAwait(false);
            }
        }

        foreach (V1PersistentVolumeClaim claim in _claims.Store.List())
        {
            if (claim.Status?.Phase == "Bound" && _volumes.Store.Get(claim.Spec?.VolumeName ?? "") is { Spec.Csi: { } csi } pv && pv.Spec.ClaimRef?.Uid == claim.Metadata.Uid
                && _drivers.Get(csi.Driver) is { } driver)
            {
                // The node's part of a resize first: the claim still asks for more than its status.capacity meanwhile.
                if (CsiNodeExpander.Pending(claim, pv))
                {
                    await Guarded($"expanding claim {claim.Metadata.NamespaceProperty}/{claim.Metadata.Name} on the node", () => _nodeExpander.ExpandAsync(claim, pv, driver, cancellationToken)).ConfigureAwait(false);
                }
                else if (CsiResizer.NeedsResize(claim) && Responsible(csi.Driver, HostnameOf(pv)))
                {
                    await Guarded($"resizing claim {claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}", () => _resizer.ResizeAsync(claim, pv, driver, cancellationToken)).ConfigureAwait(false);
                }
            }
        }

        foreach (V1PersistentVolume pv in _volumes.Store.List())
        {
            if (pv.Status?.Phase == "Released" && pv.Spec.PersistentVolumeReclaimPolicy == "Delete" && pv.Metadata.DeletionTimestamp is null && pv.Spec.Csi is { } csi
                && Annotation(pv.Metadata, StorageAnnotations.ProvisionedBy) == csi.Driver && _drivers.Get(csi.Driver) is { } driver
                && Responsible(csi.Driver, HostnameOf(pv)))
            {
                await Guarded($"volume {pv.Metadata.Name}", () => DeleteAsync(pv, driver, cancellationToken)).ConfigureAwait(false);
            }
        }
    }

    private async Task Guarded(string what, Func<Task> work)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpOperationException or RpcException or InvalidOperationException)
        {
            LogFailed(_logger, what, e.Message);
        }
    }

    private static string? ProvisionerOf(V1PersistentVolumeClaim claim) =>
        Annotation(claim.Metadata, StorageAnnotations.StorageProvisioner) ?? Annotation(claim.Metadata, StorageAnnotations.BetaStorageProvisioner);

    private static string? Annotation(V1ObjectMeta metadata, string key) =>
        metadata.Annotations is { } annotations && annotations.TryGetValue(key, out string? value) ? value : null;

    /// <summary>This node acts for <paramref name="node"/> (when named), else when it is the first node by name whose CSINode lists the driver.</summary>
    private bool Responsible(string driver, string? node) =>
        node is { Length: > 0 }
            ? node == _node
            : _csiNodes.Store.List().Where(c => c.Spec?.Drivers?.Any(d => d.Name == driver) == true).Select(c => c.Metadata.Name).Order(StringComparer.Ordinal).FirstOrDefault() == _node;

    private static string? HostnameOf(V1PersistentVolume pv) =>
        pv.Spec.NodeAffinity?.Required?.NodeSelectorTerms?.SelectMany(t => t.MatchExpressions ?? []).FirstOrDefault(e => e.Key == "kubernetes.io/hostname" && e.OperatorProperty == "In")?.Values?.FirstOrDefault();

    /// <summary>The driver's node ID on this node, from the CSINode the kubelet keeps.</summary>
    private string NodeId(string driver) =>
        _csiNodes.Store.Get(_node)?.Spec?.Drivers?.FirstOrDefault(d => d.Name == driver)?.NodeID
        ?? throw new InvalidOperationException($"CSINode {_node} does not contain driver {driver}");

    private async Task SyncAttachmentAsync(V1VolumeAttachment attachment, CsiDriverClient driver, CancellationToken cancellationToken)
    {
        string finalizer = "external-attacher/" + driver.Name.Replace('/', '-');
        string name = attachment.Metadata.Name;
        bool publishes = await driver.ControllerSupportsAsync(ControllerServiceCapability.Types.RPC.Types.Type.PublishUnpublishVolume, cancellationToken).ConfigureAwait(false);
        V1PersistentVolume? pv = attachment.Spec.Source?.PersistentVolumeName is { } pvName ? _volumes.Store.Get(pvName) : null;
        if (attachment.Metadata.DeletionTimestamp is not null)
        {
            if (attachment.Metadata.Finalizers?.Contains(finalizer) != true)
            {
                return;
            }

            if (publishes && pv?.Spec.Csi is { } gone)
            {
                var unpublish = new ControllerUnpublishVolumeRequest { VolumeId = gone.VolumeHandle, NodeId = NodeId(driver.Name) };
                unpublish.Secrets.Add(await CsiSecrets.ReadAsync(_client, gone.ControllerPublishSecretRef, cancellationToken).ConfigureAwait(false));
                await driver.Controller.ControllerUnpublishVolumeAsync(unpublish, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            attachment.Metadata.Finalizers = [.. attachment.Metadata.Finalizers.Where(f => f != finalizer)];
            await _client.StorageV1.ReplaceVolumeAttachmentAsync(attachment, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogDetached(_logger, name);
            return;
        }

        if (attachment.Status?.Attached == true)
        {
            return;
        }

        if (pv?.Spec.Csi is not { } csi)
        {
            throw new InvalidOperationException($"VolumeAttachment {name}: PersistentVolume {attachment.Spec.Source?.PersistentVolumeName} with a csi source not found");
        }

        if (attachment.Metadata.Finalizers?.Contains(finalizer) != true)
        {
            attachment.Metadata.Finalizers = [.. attachment.Metadata.Finalizers ?? [], finalizer];
            attachment = await _client.StorageV1.ReplaceVolumeAttachmentAsync(attachment, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var status = new V1VolumeAttachmentStatus { Attached = true };
        if (publishes)
        {
            var request = new ControllerPublishVolumeRequest
            {
                VolumeId = csi.VolumeHandle,
                NodeId = NodeId(driver.Name),
                Readonly = csi.ReadOnlyProperty == true,
                VolumeCapability = Capability(csi.FsType, pv.Spec.MountOptions, pv.Spec.AccessModes?.FirstOrDefault(), pv.Spec.VolumeMode),
            };
            request.VolumeContext.Add(new Dictionary<string, string>(csi.VolumeAttributes ?? new Dictionary<string, string>()));
            request.Secrets.Add(await CsiSecrets.ReadAsync(_client, csi.ControllerPublishSecretRef, cancellationToken).ConfigureAwait(false));
            try
            {
                ControllerPublishVolumeResponse response = await driver.Controller.ControllerPublishVolumeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                status.AttachmentMetadata = response.PublishContext.Count == 0 ? null : new Dictionary<string, string>(response.PublishContext);
            }
            catch (RpcException e)
            {
                status = new V1VolumeAttachmentStatus { Attached = false, AttachError = new V1VolumeError { Time = _time.GetUtcNow().UtcDateTime, Message = $"rpc error: code = {e.StatusCode} desc = {e.Status.Detail}" } };
            }
        }

        attachment.Status = status;
        await _client.StorageV1.ReplaceVolumeAttachmentStatusAsync(attachment, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (status.Attached)
        {
            LogAttached(_logger, name);
        }
    }

    private async Task ProvisionAsync(V1PersistentVolumeClaim claim, CsiDriverClient driver, CancellationToken cancellationToken)
    {
        string className = claim.Spec.StorageClassName ?? "";
        if (_classes.Store.Get(className) is not { } storageClass || storageClass.Provisioner != driver.Name)
        {
            return;
        }

        string pvName = "pvc-" + claim.Metadata.Uid;
        string claimKey = $"{claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}";
        _events.Event(claim, "Normal", "Provisioning", $"External provisioner is provisioning volume for claim \"{claimKey}\"");
        long requested = claim.Spec.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? size) == true ? (long)size.ToQuantity().Value : 0;
        string fsType = (storageClass.Parameters is { } parameters && parameters.TryGetValue(CsiSecretParameters.Prefix + "fstype", out string? fs) ? fs : "");
        var request = new CreateVolumeRequest { Name = pvName, CapacityRange = new CapacityRange { RequiredBytes = requested } };
        foreach (string mode in claim.Spec.AccessModes ?? ["ReadWriteOnce"])
        {
            request.VolumeCapabilities.Add(Capability(fsType, storageClass.MountOptions, mode, claim.Spec.VolumeMode));
        }

        V1SecretReference? provisionerSecret, publishSecret, stageSecret, nodePublishSecret, expandSecret, nodeExpandSecret;
        try
        {
            provisionerSecret = CsiSecretParameters.Resolve(CsiSecretParameters.Provisioner, storageClass.Parameters, pvName, claim);
            publishSecret = CsiSecretParameters.Resolve(CsiSecretParameters.ControllerPublish, storageClass.Parameters, pvName, claim);
            stageSecret = CsiSecretParameters.Resolve(CsiSecretParameters.NodeStage, storageClass.Parameters, pvName, claim);
            nodePublishSecret = CsiSecretParameters.Resolve(CsiSecretParameters.NodePublish, storageClass.Parameters, pvName, claim);
            expandSecret = CsiSecretParameters.Resolve(CsiSecretParameters.ControllerExpand, storageClass.Parameters, pvName, claim);
            nodeExpandSecret = CsiSecretParameters.Resolve(CsiSecretParameters.NodeExpand, storageClass.Parameters, pvName, claim);
            request.Secrets.Add(await CsiSecrets.ReadAsync(_client, provisionerSecret, cancellationToken).ConfigureAwait(false));

            // After the secrets, as prepareProvision strips them: an unknown reserved key fails here, before any volume is made.
            request.Parameters.Add(CsiSecretParameters.DriverParameters(storageClass.Parameters));
        }
        catch (Exception e) when (e is InvalidOperationException or HttpOperationException)
        {
            _events.Event(claim, "Warning", "ProvisioningFailed", $"failed to provision volume with StorageClass \"{className}\": {e.Message}");
            throw;
        }

        if (await TopologyAsync(driver.Name, cancellationToken).ConfigureAwait(false) is { } topology)
        {
            request.AccessibilityRequirements = new TopologyRequirement();
            request.AccessibilityRequirements.Requisite.Add(topology);
            request.AccessibilityRequirements.Preferred.Add(topology);
        }

        Volume volume;
        try
        {
            volume = (await driver.Controller.CreateVolumeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).Volume;
        }
        catch (RpcException e)
        {
            _events.Event(claim, "Warning", "ProvisioningFailed", $"failed to provision volume with StorageClass \"{className}\": rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
            throw;
        }

        var pv = new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = pvName, Annotations = PvAnnotations(driver.Name, provisionerSecret) },
            Spec = new V1PersistentVolumeSpec
            {
                AccessModes = claim.Spec.AccessModes ?? ["ReadWriteOnce"],
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = volume.CapacityBytes > 0 ? new ResourceQuantity(volume.CapacityBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)) : claim.Spec.Resources!.Requests["storage"] },
                ClaimRef = new V1ObjectReference { Kind = "PersistentVolumeClaim", ApiVersion = "v1", NamespaceProperty = claim.Metadata.NamespaceProperty, Name = claim.Metadata.Name, Uid = claim.Metadata.Uid, ResourceVersion = claim.Metadata.ResourceVersion },
                StorageClassName = className,
                PersistentVolumeReclaimPolicy = storageClass.ReclaimPolicy ?? "Delete",
                MountOptions = storageClass.MountOptions,
                VolumeMode = claim.Spec.VolumeMode ?? "Filesystem",
                Csi = new V1CSIPersistentVolumeSource
                {
                    Driver = driver.Name,
                    VolumeHandle = volume.VolumeId,
                    FsType = fsType.Length == 0 ? null : fsType,
                    VolumeAttributes = volume.VolumeContext.Count == 0 ? null : new Dictionary<string, string>(volume.VolumeContext),
                    ControllerPublishSecretRef = publishSecret,
                    NodeStageSecretRef = stageSecret,
                    NodePublishSecretRef = nodePublishSecret,
                    ControllerExpandSecretRef = expandSecret,
                    NodeExpandSecretRef = nodeExpandSecret,
                },
                NodeAffinity = volume.AccessibleTopology.Count == 0 ? null : new V1VolumeNodeAffinity
                {
                    Required = new V1NodeSelector
                    {
                        NodeSelectorTerms = [.. volume.AccessibleTopology.Select(t => new V1NodeSelectorTerm
                        {
                            MatchExpressions = [.. t.Segments.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new V1NodeSelectorRequirement { Key = s.Key, OperatorProperty = "In", Values = [s.Value] })],
                        })],
                    },
                },
            },
        };
        try
        {
            await _client.CoreV1.CreatePersistentVolumeAsync(pv, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Made at an earlier pass whose cache had not seen it.
        }

        _events.Event(claim, "Normal", "ProvisioningSucceeded", $"Successfully provisioned volume {pvName}");
        LogProvisioned(_logger, pvName, claimKey, volume.VolumeId);
    }

    private async Task DeleteAsync(V1PersistentVolume pv, CsiDriverClient driver, CancellationToken cancellationToken)
    {
        var request = new DeleteVolumeRequest { VolumeId = pv.Spec.Csi.VolumeHandle };
        try
        {
            request.Secrets.Add(await CsiSecrets.ReadAsync(_client, DeletionSecret(pv), cancellationToken).ConfigureAwait(false));
            await driver.Controller.DeleteVolumeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or HttpOperationException)
        {
            _events.Event(pv, "Warning", "VolumeFailedDelete", e is RpcException rpc ? $"rpc error: code = {rpc.StatusCode} desc = {rpc.Status.Detail}" : e.Message);
            throw;
        }

        try
        {
            await _client.CoreV1.DeletePersistentVolumeAsync(pv.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }

        LogDeleted(_logger, pv.Metadata.Name, pv.Spec.Csi.VolumeHandle);
    }

    /// <summary>The provisioned-by annotation, and the provisioner secret DeleteVolume will need (kept on the PV, as the class may change or go).</summary>
    private static Dictionary<string, string> PvAnnotations(string driver, V1SecretReference? provisionerSecret)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [StorageAnnotations.ProvisionedBy] = driver };
        if (provisionerSecret is not null)
        {
            annotations[CsiSecretParameters.DeletionSecretNameAnnotation] = provisionerSecret.Name;
            annotations[CsiSecretParameters.DeletionSecretNamespaceAnnotation] = provisionerSecret.NamespaceProperty;
        }

        return annotations;
    }

    /// <summary>The provisioner secret for deleting <paramref name="pv"/>: its annotations, else the class's parameters resolved without the claim.</summary>
    private V1SecretReference? DeletionSecret(V1PersistentVolume pv)
    {
        if (Annotation(pv.Metadata, CsiSecretParameters.DeletionSecretNameAnnotation) is { } name)
        {
            return new V1SecretReference { Name = name, NamespaceProperty = Annotation(pv.Metadata, CsiSecretParameters.DeletionSecretNamespaceAnnotation) ?? "" };
        }

        return _classes.Store.Get(pv.Spec.StorageClassName ?? "") is { } storageClass
            ? CsiSecretParameters.Resolve(CsiSecretParameters.Provisioner, storageClass.Parameters, pv.Metadata.Name, null)
            : null;
    }

    /// <summary>This node's segments of the driver's topology keys (its Node labels), or null when the driver has none.</summary>
    private async Task<Topology?> TopologyAsync(string driver, CancellationToken cancellationToken)
    {
        IList<string>? keys = _csiNodes.Store.Get(_node)?.Spec?.Drivers?.FirstOrDefault(d => d.Name == driver)?.TopologyKeys;
        if (keys is null || keys.Count == 0)
        {
            return null;
        }

        V1Node node = await _client.CoreV1.ReadNodeAsync(_node, cancellationToken: cancellationToken).ConfigureAwait(false);
        var topology = new Topology();
        foreach (string key in keys)
        {
            if (node.Metadata.Labels?.TryGetValue(key, out string? value) == true)
            {
                topology.Segments[key] = value;
            }
        }

        return topology;
    }

    /// <summary>The volume capability the sidecars send for a volume of <paramref name="volumeMode"/> (mount with fsType and flags, or block).</summary>
    internal static VolumeCapability Capability(string? fsType, IList<string>? mountOptions, string? accessMode, string? volumeMode)
    {
        var capability = new VolumeCapability { AccessMode = new VolumeCapability.Types.AccessMode { Mode = CsiVolumes.AccessMode(accessMode) } };
        if (volumeMode == "Block")
        {
            capability.Block = new VolumeCapability.Types.BlockVolume();
        }
        else
        {
            capability.Mount = new VolumeCapability.Types.MountVolume { FsType = fsType ?? "" };
            capability.Mount.MountFlags.Add(mountOptions ?? []);
        }

        return capability;
    }

    public async ValueTask DisposeAsync()
    {
        await _events.DisposeAsync().ConfigureAwait(false);
        await _resizer.DisposeAsync().ConfigureAwait(false);
        await _nodeExpander.DisposeAsync().ConfigureAwait(false);
        _changed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "CSI sidecars: {What}: {Error}")]
    private static partial void LogFailed(ILogger logger, string what, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "VolumeAttachment {Name} attached")]
    private static partial void LogAttached(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "VolumeAttachment {Name} detached")]
    private static partial void LogDetached(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provisioned {Volume} for claim {Claim} (volume ID {Handle})")]
    private static partial void LogProvisioned(ILogger logger, string volume, string claim, string handle);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Volume} (volume ID {Handle})")]
    private static partial void LogDeleted(ILogger logger, string volume, string handle);
}
