using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Storage;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.PersistentVolume;

/// <summary>
/// kube-controller-manager's persistentvolume-binder (pv_controller.go): binds claims to volumes on both sides
/// (volume.spec.claimRef, claim.spec.volumeName, the bind-completed and bound-by-controller annotations), keeps the
/// phases (volumes Pending/Available/Bound/Released/Failed, claims Pending/Bound/Lost) and the claim's
/// status.capacity/accessModes, hands claims of a class to its provisioner (the storage-provisioner annotations an
/// external or CSI provisioner watches for; with WaitForFirstConsumer only once the scheduler set selected-node), and
/// reclaims released volumes (Retain keeps them Released, Delete deletes them through a deletable plugin or leaves
/// them to their external provisioner). Volumes and claims share one queue: a claim's key is namespace/name, a
/// volume's is its name. One worker, so a claim and its volume are never bound from two syncs at once; every write
/// carries the cached resourceVersion, so a stale cache ends in a conflict and a retry, never in a double bind.
/// </summary>
public sealed partial class PersistentVolumeController : QueueController
{
    private const string Component = "persistentvolume-controller";

    private readonly Informer<V1PersistentVolume> _volumes;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1StorageClass> _classes;
    private readonly Informer<V1Pod> _pods;
    private readonly EventRecorder _events;
    private readonly TimeSpan _syncPeriod;
    private readonly IReadOnlyList<IDeletableVolumePlugin> _deleters;

    /// <summary>Creates the controller over the shared volume, claim, class and pod informers.</summary>
    public PersistentVolumeController(ControllerContext context)
        : base("persistentvolume-binder", context)
    {
        _volumes = context.Informers.Get<V1PersistentVolume>();
        _claims = context.Informers.Get<V1PersistentVolumeClaim>();
        _classes = context.Informers.Get<V1StorageClass>();
        _pods = context.Informers.Get<V1Pod>();
        _events = context.Recorder(Component);
        _syncPeriod = context.Options.PersistentVolumeSyncPeriod;
        _deleters = context.Options.DeletableVolumePlugins;
        _recycler = new VolumeRecycler(context.Client, context.Options.RecyclerPodImage, context.Time);
        _volumes.AddHandler(new ResourceEventHandler<V1PersistentVolume>(Enqueue, VolumeDeleted));
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim>(Enqueue, ClaimDeleted));
    }

    /// <inheritdoc />
    public override Task RunAsync(int workers, CancellationToken cancellationToken) =>
        Task.WhenAll(base.RunAsync(1, cancellationToken), ResyncAsync(cancellationToken));

    /// <summary>The periodic sync of everything (Kubernetes resyncs its informers): a claim waiting for a volume finds one created since.</summary>
    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_syncPeriod, Time, cancellationToken).ConfigureAwait(false);
                foreach (V1PersistentVolume volume in _volumes.Store.List())
                {
                    Enqueue(volume);
                }

                foreach (V1PersistentVolumeClaim claim in _claims.Store.List())
                {
                    Enqueue(claim);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // A deleted claim releases its volume now; a deleted volume makes its claim Lost now.
    private void ClaimDeleted(V1PersistentVolumeClaim claim, bool unknown)
    {
        if (!string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            Queue.Add(claim.Spec.VolumeName);
        }
    }

    private void VolumeDeleted(V1PersistentVolume volume, bool unknown)
    {
        if (volume.Spec?.ClaimRef is { } claimRef)
        {
            Queue.Add($"{claimRef.NamespaceProperty}/{claimRef.Name}");
        }
    }

    /// <inheritdoc />
    protected override Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (key.Contains('/', StringComparison.Ordinal))
        {
            return _claims.Store.Get(key) is { } claim ? SyncClaimAsync(claim, cancellationToken) : Task.CompletedTask;
        }

        return _volumes.Store.Get(key) is { } volume ? SyncVolumeAsync(volume, cancellationToken) : Task.CompletedTask;
    }

    private Task SyncClaimAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken) =>
        StorageAnnotations.Has(claim.Metadata, StorageAnnotations.BindCompleted)
            ? SyncBoundClaimAsync(claim, cancellationToken)
            : SyncUnboundClaimAsync(claim, cancellationToken);

    private async Task SyncUnboundClaimAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            // The user did not care which volume: find the best one, or provision, or wait.
            bool delayBinding = IsDelayBindingMode(claim);
            V1PersistentVolume? volume = VolumeMatcher.FindBestMatch(claim, _volumes.Store.List(), delayBinding);
            if (volume is not null)
            {
                await BindAsync(volume, claim, cancellationToken).ConfigureAwait(false);
                return;
            }

            // The retroactive default: a claim made before any default class existed gets the one there is now.
            if (!DefaultStorageClasses.HasClass(claim) && DefaultStorageClasses.Default(_classes.Store.List()) is { } defaultClass)
            {
                V1PersistentVolumeClaim copy = ModelCopies.Copy(claim);
                copy.Spec.StorageClassName = defaultClass.Metadata.Name;
                await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            if (delayBinding && !StorageAnnotations.Has(claim.Metadata, StorageAnnotations.SelectedNode))
            {
                EmitWaitingForConsumer(claim);
            }
            else if (StorageAnnotations.ClaimClass(claim) != "")
            {
                // Provisioning changes the claim itself; the binding follows when the volume appears.
                await ProvisionClaimAsync(claim, cancellationToken).ConfigureAwait(false);
                return;
            }
            else
            {
                _events.Event(claim, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
            }

            await UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The user asked for a specific volume.
        if (_volumes.Store.Get(claim.Spec.VolumeName) is not { } requested)
        {
            await UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (requested.Spec?.ClaimRef is null)
        {
            if (VolumeMatcher.Unsatisfied(requested, claim) is { } why)
            {
                _events.Event(claim, "Warning", "VolumeMismatch", $"Cannot bind to requested volume \"{requested.Metadata.Name}\": {why}");
                await UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
                return;
            }

            await BindAsync(requested, claim, cancellationToken).ConfigureAwait(false);
        }
        else if (VolumeMatcher.IsBoundToClaim(requested, claim))
        {
            await BindAsync(requested, claim, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _events.Event(claim, "Warning", "FailedBinding", $"volume \"{requested.Metadata.Name}\" already bound to a different claim.");
            if (!StorageAnnotations.Has(claim.Metadata, StorageAnnotations.BoundByController))
            {
                await UpdateClaimStatusAsync(claim, "Pending", null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task SyncBoundClaimAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            await UpdateClaimStatusAsync(claim, "Lost", null, cancellationToken, ("Warning", "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")).ConfigureAwait(false);
            return;
        }

        if (_volumes.Store.Get(claim.Spec.VolumeName) is not { } volume)
        {
            await UpdateClaimStatusAsync(claim, "Lost", null, cancellationToken, ("Warning", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")).ConfigureAwait(false);
            return;
        }

        if (volume.Spec?.ClaimRef is null || volume.Spec.ClaimRef.Uid == claim.Metadata.Uid)
        {
            // The volume came unbound (or the cache has not seen its bind yet), or all is well: bind() fixes what differs.
            await BindAsync(volume, claim, cancellationToken).ConfigureAwait(false);
            return;
        }

        await UpdateClaimStatusAsync(claim, "Lost", null, cancellationToken, ("Warning", "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")).ConfigureAwait(false);
    }

    private async Task SyncVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        V1ObjectReference? claimRef = volume.Spec?.ClaimRef;
        if (claimRef is null || string.IsNullOrEmpty(claimRef.Uid))
        {
            // Unused, or pre-bound by the user to a claim the binding has not reached yet.
            await UpdateVolumePhaseAsync(volume, "Available", "", cancellationToken).ConfigureAwait(false);
            return;
        }

        string claimKey = $"{claimRef.NamespaceProperty}/{claimRef.Name}";
        V1PersistentVolumeClaim? claim = _claims.Store.Get(claimKey);
        if (claim is null && volume.Status?.Phase is not ("Released" or "Failed"))
        {
            // The claim may be newer than this cache (a volume bound by a provisioner or the scheduler): ask the API
            // before releasing the volume.
            claim = await ReadClaimAsync(claimRef, cancellationToken).ConfigureAwait(false);
        }

        if (claim is not null && claim.Metadata.Uid != claimRef.Uid)
        {
            // A claim of the same name, not the one this volume was bound to.
            claim = null;
        }

        if (claim is null)
        {
            if (volume.Status?.Phase is not ("Released" or "Failed"))
            {
                volume = await UpdateVolumePhaseAsync(volume, "Released", "", cancellationToken).ConfigureAwait(false);
            }

            await ReclaimVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            if (VolumeMatcher.VolumeModeMismatch(claim, volume))
            {
                _events.Event(volume, "Warning", "VolumeMismatch", $"Cannot bind PersistentVolume to requested PersistentVolumeClaim \"{claim.Metadata.Name}\" due to incompatible volumeMode.");
                _events.Event(claim, "Warning", "VolumeMismatch", $"Cannot bind PersistentVolume \"{volume.Metadata.Name}\" to requested PersistentVolumeClaim due to incompatible volumeMode.");
                return;
            }

            // The volume is bound and the claim not yet: the claim's sync finishes the binding.
            Queue.Add(claimKey);
            return;
        }

        if (claim.Spec.VolumeName == volume.Metadata.Name)
        {
            await UpdateVolumePhaseAsync(volume, "Bound", "", cancellationToken).ConfigureAwait(false);
            return;
        }

        // The claim is bound to another volume.
        if (StorageAnnotations.Has(volume.Metadata, StorageAnnotations.ProvisionedBy) && volume.Spec?.PersistentVolumeReclaimPolicy == "Delete")
        {
            // Provisioned for this claim, which got bound elsewhere: not needed.
            if (volume.Status?.Phase is not ("Released" or "Failed"))
            {
                volume = await UpdateVolumePhaseAsync(volume, "Released", "", cancellationToken).ConfigureAwait(false);
            }

            await ReclaimVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
            return;
        }

        await UnbindVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
    }

    private async Task<V1PersistentVolumeClaim?> ReadClaimAsync(V1ObjectReference claimRef, CancellationToken cancellationToken)
    {
        try
        {
            return await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claimRef.Name, claimRef.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>IsDelayBindingMode: the claim's class exists and binds WaitForFirstConsumer.</summary>
    private bool IsDelayBindingMode(V1PersistentVolumeClaim claim) =>
        StorageAnnotations.ClaimClass(claim) is { Length: > 0 } className
        && _classes.Store.Get(className)?.VolumeBindingMode == "WaitForFirstConsumer";

    /// <summary>emitEventForUnboundDelayBindingClaim: names the pods not yet scheduled that wait for this claim, if any.</summary>
    private void EmitWaitingForConsumer(V1PersistentVolumeClaim claim)
    {
        List<string> waiting = _pods.Store.List(claim.Metadata.NamespaceProperty)
            .Where(p => string.IsNullOrEmpty(p.Spec?.NodeName) && p.Status?.Phase is not ("Succeeded" or "Failed") && UsesClaim(p, claim.Metadata.Name))
            .Select(p => p.Metadata.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        switch (waiting.Count)
        {
            case 0:
                _events.Event(claim, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
                break;
            case 1:
                _events.Event(claim, "Normal", "WaitForPodScheduled", $"waiting for pod {waiting[0]} to be scheduled");
                break;
            default:
                _events.Event(claim, "Normal", "WaitForPodScheduled", $"waiting for pods {string.Join(",", waiting)} to be scheduled");
                break;
        }
    }

    /// <summary>True when <paramref name="pod"/> mounts the claim named <paramref name="claimName"/> (directly or as its generic ephemeral volume).</summary>
    internal static bool UsesClaim(V1Pod pod, string claimName) =>
        (pod.Spec?.Volumes ?? []).Any(v =>
            v.PersistentVolumeClaim?.ClaimName == claimName || (v.Ephemeral is not null && $"{pod.Metadata.Name}-{v.Name}" == claimName));

    /// <summary>
    /// provisionClaim: finds the claim's class and its provisioner. No in-tree provisioner ships, so a class naming a
    /// kubernetes.io/ provisioner fails; any other provisioner is external: the claim is annotated for it and waits.
    /// </summary>
    private async Task ProvisionClaimAsync(V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        string className = StorageAnnotations.ClaimClass(claim);
        if (_classes.Store.Get(className) is not { } storageClass)
        {
            _events.Event(claim, "Warning", "ProvisioningFailed", $"storageclass.storage.k8s.io \"{className}\" not found");
            return;
        }

        string provisioner = storageClass.Provisioner;
        if (provisioner.StartsWith("kubernetes.io/", StringComparison.Ordinal))
        {
            _events.Event(claim, "Warning", "ProvisioningFailed", $"no volume plugin matched name: {provisioner}");
            return;
        }

        if (StorageAnnotations.Get(claim.Metadata, StorageAnnotations.StorageProvisioner) != provisioner
            || StorageAnnotations.Get(claim.Metadata, StorageAnnotations.BetaStorageProvisioner) != provisioner)
        {
            V1PersistentVolumeClaim copy = ModelCopies.Copy(claim);
            StorageAnnotations.Set(copy.Metadata, StorageAnnotations.BetaStorageProvisioner, provisioner);
            StorageAnnotations.Set(copy.Metadata, StorageAnnotations.StorageProvisioner, provisioner);
            claim = await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        _events.Event(claim, "Normal", "ExternalProvisioning",
            $"Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
    }

    /// <summary>bind: claimRef on the volume, the volume Bound, volumeName and the annotations on the claim, the claim Bound.</summary>
    private async Task BindAsync(V1PersistentVolume volume, V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        volume = await BindVolumeToClaimAsync(volume, claim, cancellationToken).ConfigureAwait(false);
        volume = await UpdateVolumePhaseAsync(volume, "Bound", "", cancellationToken).ConfigureAwait(false);
        claim = await BindClaimToVolumeAsync(claim, volume, cancellationToken).ConfigureAwait(false);
        await UpdateClaimStatusAsync(claim, "Bound", volume, cancellationToken).ConfigureAwait(false);
    }

    private async Task<V1PersistentVolume> BindVolumeToClaimAsync(V1PersistentVolume volume, V1PersistentVolumeClaim claim, CancellationToken cancellationToken)
    {
        bool byController = !VolumeMatcher.IsBoundToClaim(volume, claim);
        V1ObjectReference? claimRef = volume.Spec?.ClaimRef;
        bool dirty = claimRef is null || claimRef.Name != claim.Metadata.Name || claimRef.NamespaceProperty != claim.Metadata.NamespaceProperty || claimRef.Uid != claim.Metadata.Uid;
        V1PersistentVolume copy = ModelCopies.Copy(volume);
        if (dirty)
        {
            copy.Spec.ClaimRef = new V1ObjectReference
            {
                Kind = "PersistentVolumeClaim",
                ApiVersion = "v1",
                NamespaceProperty = claim.Metadata.NamespaceProperty,
                Name = claim.Metadata.Name,
                Uid = claim.Metadata.Uid,
                ResourceVersion = claim.Metadata.ResourceVersion,
            };
        }

        if (byController && !StorageAnnotations.Has(copy.Metadata, StorageAnnotations.BoundByController))
        {
            StorageAnnotations.Set(copy.Metadata, StorageAnnotations.BoundByController, "yes");
            dirty = true;
        }

        return dirty
            ? await Client.CoreV1.ReplacePersistentVolumeAsync(copy, copy.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false)
            : volume;
    }

    private async Task<V1PersistentVolumeClaim> BindClaimToVolumeAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        bool dirty = false;
        V1PersistentVolumeClaim copy = ModelCopies.Copy(claim);
        if (claim.Spec?.VolumeName != volume.Metadata.Name)
        {
            copy.Spec ??= new V1PersistentVolumeClaimSpec();
            copy.Spec.VolumeName = volume.Metadata.Name;
            if (!StorageAnnotations.Has(copy.Metadata, StorageAnnotations.BoundByController))
            {
                StorageAnnotations.Set(copy.Metadata, StorageAnnotations.BoundByController, "yes");
            }

            dirty = true;
        }

        if (!StorageAnnotations.Has(copy.Metadata, StorageAnnotations.BindCompleted))
        {
            StorageAnnotations.Set(copy.Metadata, StorageAnnotations.BindCompleted, "yes");
            dirty = true;
        }

        return dirty
            ? await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false)
            : claim;
    }

    /// <summary>unbindVolume: a volume the controller bound loses its claimRef; one the user pre-bound keeps it without the uid. Then Available.</summary>
    private async Task UnbindVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        V1PersistentVolume copy = ModelCopies.Copy(volume);
        if (StorageAnnotations.Has(volume.Metadata, StorageAnnotations.BoundByController))
        {
            copy.Spec.ClaimRef = null;
            copy.Metadata.Annotations!.Remove(StorageAnnotations.BoundByController);
            if (copy.Metadata.Annotations.Count == 0)
            {
                copy.Metadata.Annotations = null;
            }
        }
        else
        {
            copy.Spec.ClaimRef!.Uid = null;
        }

        V1PersistentVolume updated = await Client.CoreV1.ReplacePersistentVolumeAsync(copy, copy.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        await UpdateVolumePhaseAsync(updated, "Available", "", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// reclaimVolume: Retain keeps the volume Released (its claimRef still names the deleted claim, so no other claim
    /// gets it); Delete deletes it; Recycle (deprecated) empties it with a recycler pod and makes it Available again.
    /// </summary>
    private async Task ReclaimVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        switch (volume.Spec?.PersistentVolumeReclaimPolicy)
        {
            case "Retain":
                return;
            case "Recycle":
                await RecycleVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
                return;
            case "Delete":
                await DeleteVolumeAsync(volume, cancellationToken).ConfigureAwait(false);
                return;
            default:
                await UpdateVolumePhaseAsync(volume, "Failed", "", cancellationToken, ("Warning", "VolumeUnknownReclaimPolicy", "Volume has unrecognized PersistentVolumeReclaimPolicy")).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>deleteVolumeOperation: the plugin that provisioned the volume (or one that handles its source) deletes the storage, then the volume object goes.</summary>
    private async Task DeleteVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        IDeletableVolumePlugin? plugin;
        if (StorageAnnotations.Get(volume.Metadata, StorageAnnotations.ProvisionedBy) is { Length: > 0 } provisioner)
        {
            plugin = _deleters.FirstOrDefault(d => d.Name == provisioner);
            if (plugin is null)
            {
                if (!provisioner.StartsWith("kubernetes.io/", StringComparison.Ordinal))
                {
                    // An external provisioner deletes its own volumes (and then the PersistentVolume).
                    return;
                }

                await FailDeleteAsync(volume, $"no volume plugin matched name: {provisioner}", cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        else
        {
            plugin = _deleters.FirstOrDefault(d => d.CanDelete(volume));
            if (plugin is null)
            {
                await FailDeleteAsync(volume, $"error getting deleter volume plugin for volume \"{volume.Metadata.Name}\": no deletable volume plugin matched", cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        try
        {
            await plugin.DeleteAsync(volume, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            await FailDeleteAsync(volume, e.Message, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await Client.CoreV1.DeletePersistentVolumeAsync(volume.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.Deleted(Logger, volume.Metadata.Name, plugin.Name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private Task FailDeleteAsync(V1PersistentVolume volume, string message, CancellationToken cancellationToken) =>
        UpdateVolumePhaseAsync(volume, "Failed", message, cancellationToken, ("Warning", "VolumeFailedDelete", message));

    /// <summary>updateVolumePhase(WithEvent): writes phase and message when they change (the event only with a phase change).</summary>
    private async Task<V1PersistentVolume> UpdateVolumePhaseAsync(
        V1PersistentVolume volume, string phase, string message, CancellationToken cancellationToken, (string Type, string Reason, string Message)? onChange = null)
    {
        bool phaseChanges = volume.Status?.Phase != phase;
        if (!phaseChanges && (volume.Status?.Message ?? "") == message)
        {
            return volume;
        }

        if (onChange is { } e && !phaseChanges)
        {
            return volume;
        }

        V1PersistentVolume copy = ModelCopies.Copy(volume);
        copy.Status ??= new V1PersistentVolumeStatus();
        copy.Status.Phase = phase;
        copy.Status.Message = message.Length == 0 ? null : message;
        if (phaseChanges)
        {
            copy.Status.LastPhaseTransitionTime = ModelCopies.Now(Time);
        }

        V1PersistentVolume updated = await Client.CoreV1.ReplacePersistentVolumeStatusAsync(copy, copy.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (onChange is { } ev)
        {
            _events.Event(updated, ev.Type, ev.Reason, ev.Message);
        }

        return updated;
    }

    /// <summary>
    /// updateClaimStatus(WithEvent): the phase; with a volume, its access modes, and its capacity when the claim is
    /// becoming Bound (a later difference may be a resize in flight, not to be clobbered); without one, neither.
    /// </summary>
    private async Task<V1PersistentVolumeClaim> UpdateClaimStatusAsync(
        V1PersistentVolumeClaim claim, string phase, V1PersistentVolume? volume, CancellationToken cancellationToken, (string Type, string Reason, string Message)? onChange = null)
    {
        if (onChange is not null && claim.Status?.Phase == phase)
        {
            return claim;
        }

        V1PersistentVolumeClaim copy = ModelCopies.Copy(claim);
        copy.Status ??= new V1PersistentVolumeClaimStatus();
        bool dirty = false;
        if (claim.Status?.Phase != phase)
        {
            copy.Status.Phase = phase;
            dirty = true;
        }

        if (volume is null)
        {
            dirty |= copy.Status.AccessModes is not null || copy.Status.Capacity is not null;
            copy.Status.AccessModes = null;
            copy.Status.Capacity = null;
        }
        else
        {
            if (!(copy.Status.AccessModes ?? []).SequenceEqual(volume.Spec?.AccessModes ?? []))
            {
                copy.Status.AccessModes = volume.Spec?.AccessModes?.ToList();
                dirty = true;
            }

            if (claim.Status?.Phase != phase && volume.Spec?.Capacity?.TryGetValue("storage", out ResourceQuantity? capacity) == true
                && (copy.Status.Capacity?.TryGetValue("storage", out ResourceQuantity? had) != true || Navarch.Api.Quantities.ResourceQuantities.ToQuantity(had) != Navarch.Api.Quantities.ResourceQuantities.ToQuantity(capacity)))
            {
                copy.Status.Capacity = new Dictionary<string, ResourceQuantity>(volume.Spec.Capacity);
                dirty = true;
            }
        }

        if (!dirty)
        {
            return claim;
        }

        V1PersistentVolumeClaim updated = await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (onChange is { } e)
        {
            _events.Event(updated, e.Type, e.Reason, e.Message);
        }

        return updated;
    }
}
