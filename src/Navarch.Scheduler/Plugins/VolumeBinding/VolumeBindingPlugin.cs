using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Pods;
using Navarch.Api.Quantities;
using Navarch.Api.Storage;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.VolumeBinding;

/// <summary>
/// kube-scheduler's VolumeBinding: a pod's bound claims hold it to the nodes their volumes' nodeAffinity allows; its
/// unbound claims of a WaitForFirstConsumer class are bound here, on the chosen node — to the smallest fitting
/// Available volume there, or else provisioned there (PreBind sets <c>volume.kubernetes.io/selected-node</c>) — and the
/// binding waits (up to <see cref="BindTimeout"/>) until the PersistentVolume controller has bound them all. An unbound
/// claim of an Immediate class makes the pod unschedulable until the controller binds it. A claim already given a node
/// (selected-node) is provisioned there only; a CSI driver with storageCapacity provisions only where a
/// CSIStorageCapacity of the class reaches the node with room for the claim. Reserve assumes its decision in the
/// <see cref="AssumeCache{T}"/> (the volume's claimRef, the claim's selected-node) so the next pod, scheduled before
/// the writes come back through the watch, neither takes the same volume nor provisions the claim elsewhere.
/// </summary>
internal sealed class VolumeBindingPlugin(FrameworkHandle handle) : IPreFilterPlugin, IFilterPlugin, IReservePlugin, IPreBindPlugin
{
    public const string PluginName = "VolumeBinding";
    public const string UnboundImmediate = "pod has unbound immediate PersistentVolumeClaims";
    public const string NodeConflict = "node(s) had volume node affinity conflict";
    public const string BindConflict = "node(s) didn't find available persistent volumes to bind";
    public const string VolumeNotExist = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
    public const string NotEnoughSpace = "node(s) did not have enough free storage";
    private const string StateKey = "PreFilter" + PluginName;
    private const string NoProvisioner = "kubernetes.io/no-provisioner";

    /// <summary>How long a binding waits for its claims to be bound (VolumeBindingArgs.bindTimeoutSeconds, 600).</summary>
    public TimeSpan BindTimeout { get; init; } = TimeSpan.FromSeconds(600);

    public string Name => PluginName;

    private VolumeObjects Objects => handle.Volumes;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        var found = new VolumeBindingState();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1Volume podVolume in pod.Spec?.Volumes ?? [])
        {
            bool ephemeral = podVolume.PersistentVolumeClaim is null && podVolume.Ephemeral is not null;
            string? name = podVolume.PersistentVolumeClaim?.ClaimName ?? (ephemeral ? EphemeralVolumes.ClaimName(pod, podVolume) : null);
            if (name is null || !seen.Add(name))
            {
                continue;
            }

            // podHasPVCs: each claim must exist, not be lost or going, and (ephemeral) be the pod's own.
            V1PersistentVolumeClaim? claim = Objects.Claim(pod.Metadata.NamespaceProperty, name);
            if (claim is null)
            {
                // Normal right after a pod with an ephemeral volume is created: say what it waits for.
                return Status.Unresolvable(ephemeral
                    ? $"waiting for ephemeral volume controller to create the persistentvolumeclaim \"{name}\""
                    : $"persistentvolumeclaim \"{name}\" not found");
            }

            if (claim.Status?.Phase == "Lost")
            {
                return Status.Unresolvable($"persistentvolumeclaim \"{name}\" bound to non-existent persistentvolume \"{claim.Spec.VolumeName}\"");
            }

            if (claim.Metadata.DeletionTimestamp is not null)
            {
                return Status.Unresolvable($"persistentvolumeclaim \"{name}\" is being deleted");
            }

            if (ephemeral && EphemeralVolumes.NotForPod(pod, claim) is { } notOwned)
            {
                return Status.Unresolvable(notOwned);
            }

            if (!string.IsNullOrEmpty(claim.Spec.VolumeName))
            {
                found.Bound.Add((claim, Objects.Volume(claim.Spec.VolumeName)));
            }
            else if (Objects.StorageClass(claim.Spec.StorageClassName)?.VolumeBindingMode == "WaitForFirstConsumer")
            {
                found.Delayed.Add(claim);
            }
            else
            {
                return Status.Unresolvable(UnboundImmediate);
            }
        }

        if (found.Bound.Count == 0 && found.Delayed.Count == 0)
        {
            return Status.Skip;
        }

        state.Write(StateKey, found);
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        if (state.Read<VolumeBindingState>(StateKey) is not { } found || node.Node is not { } n)
        {
            return Status.Success;
        }

        foreach ((_, V1PersistentVolume? volume) in found.Bound)
        {
            if (volume is null)
            {
                return Status.Unresolvable(VolumeNotExist);
            }

            if (!Reachable(volume, n))
            {
                return Status.Unresolvable(NodeConflict);
            }
        }

        if (found.Delayed.Count == 0)
        {
            return Status.Success;
        }

        var bindings = new List<(V1PersistentVolumeClaim, V1PersistentVolume)>();
        var provisions = new List<V1PersistentVolumeClaim>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1PersistentVolumeClaim claim in found.Delayed)
        {
            // A claim whose provisioning has started on a node (selected-node) is provisioned there or nowhere.
            string? selected = claim.Metadata.Annotations?.TryGetValue(StorageAnnotations.SelectedNode, out string? s) == true ? s : null;
            if (selected is not null && selected != n.Metadata.Name)
            {
                return Status.Unresolvable(BindConflict);
            }

            if (selected is null && BestVolume(claim, n, taken) is { } volume)
            {
                taken.Add(volume.Metadata.Name);
                bindings.Add((claim, volume));
            }
            else if (ProvisionConflict(claim, n) is { } conflict)
            {
                return Status.Unresolvable(conflict);
            }
            else
            {
                provisions.Add(claim);
            }
        }

        found.Decisions[n.Metadata.Name] = new PodVolumeDecision(bindings, provisions);
        return Status.Success;
    }

    /// <summary>
    /// AssumePodVolumes: the chosen volumes are seen bound to their claims and the claims to provision seen on this
    /// node until the API writes of PreBind come back (or Unreserve drops them).
    /// </summary>
    public Status Reserve(CycleState state, V1Pod pod, string nodeName)
    {
        if (state.Read<VolumeBindingState>(StateKey) is not { } found)
        {
            return Status.Success;
        }

        found.Chosen = found.Decisions.GetValueOrDefault(nodeName);
        foreach ((V1PersistentVolumeClaim claim, V1PersistentVolume chosen) in found.Chosen?.StaticBindings ?? [])
        {
            if (Objects.Volume(chosen.Metadata.Name) is not { } latest)
            {
                continue;
            }

            V1PersistentVolume assumed = VolumeObjects.Copy(latest);
            assumed.Spec.ClaimRef = ClaimRef(claim);
            assumed.Metadata.Annotations ??= new Dictionary<string, string>();
            assumed.Metadata.Annotations[StorageAnnotations.BoundByController] = "yes";
            Objects.AssumeVolume(assumed);
        }

        foreach (V1PersistentVolumeClaim claim in found.Chosen?.Provisions ?? [])
        {
            if (Objects.Claim(claim.Metadata.NamespaceProperty, claim.Metadata.Name) is not { } latest)
            {
                continue;
            }

            V1PersistentVolumeClaim assumed = VolumeObjects.Copy(latest);
            assumed.Metadata.Annotations ??= new Dictionary<string, string>();
            assumed.Metadata.Annotations[StorageAnnotations.SelectedNode] = nodeName;
            Objects.AssumeClaim(assumed);
        }

        return Status.Success;
    }

    /// <summary>RevertAssumedPodVolumes: what Reserve assumed is dropped (the informer's objects count again).</summary>
    public void Unreserve(CycleState state, V1Pod pod, string nodeName)
    {
        if (state.Read<VolumeBindingState>(StateKey) is not { } found)
        {
            return;
        }

        foreach ((_, V1PersistentVolume chosen) in found.Chosen?.StaticBindings ?? [])
        {
            Objects.RestoreVolume(chosen.Metadata.Name);
        }

        foreach (V1PersistentVolumeClaim claim in found.Chosen?.Provisions ?? [])
        {
            Objects.RestoreClaim(claim);
        }

        found.Chosen = null;
    }

    public async Task<Status> PreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        if (state.Read<VolumeBindingState>(StateKey)?.Chosen is not { } decision || handle.Client is not { } client)
        {
            return Status.Success;
        }

        try
        {
            foreach ((V1PersistentVolumeClaim claim, V1PersistentVolume chosen) in decision.StaticBindings)
            {
                // What the binder does for a static volume: claimRef on the volume; the PersistentVolume controller finishes.
                V1PersistentVolume volume = await client.CoreV1.ReadPersistentVolumeAsync(chosen.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (volume.Spec.ClaimRef is { } other && other.Uid != claim.Metadata.Uid)
                {
                    return Status.Error($"volume {volume.Metadata.Name} was bound to another claim meanwhile");
                }

                volume.Spec.ClaimRef = ClaimRef(claim);
                volume.Metadata.Annotations ??= new Dictionary<string, string>();
                volume.Metadata.Annotations[StorageAnnotations.BoundByController] = "yes";
                await client.CoreV1.ReplacePersistentVolumeAsync(volume, volume.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            foreach (V1PersistentVolumeClaim provision in decision.Provisions)
            {
                V1PersistentVolumeClaim claim = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(provision.Metadata.Name, provision.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                claim.Metadata.Annotations ??= new Dictionary<string, string>();
                if (claim.Metadata.Annotations.TryGetValue(StorageAnnotations.SelectedNode, out string? selected) && selected == nodeName)
                {
                    continue;
                }

                claim.Metadata.Annotations[StorageAnnotations.SelectedNode] = nodeName;
                await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.Name, claim.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HttpOperationException e)
        {
            return Status.Error($"binding volumes: {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}");
        }

        return await WaitBoundAsync(decision, nodeName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until every claim is bound (the binder's checkBindings), or fails when provisioning gave the node up.</summary>
    private async Task<Status> WaitBoundAsync(PodVolumeDecision decision, string nodeName, CancellationToken cancellationToken)
    {
        DateTimeOffset deadline = handle.Time.GetUtcNow() + BindTimeout;
        IEnumerable<V1PersistentVolumeClaim> claims = decision.Provisions.Concat(decision.StaticBindings.Select(b => b.Claim));
        while (true)
        {
            bool all = true;
            foreach (V1PersistentVolumeClaim c in claims)
            {
                V1PersistentVolumeClaim? current = Objects.Claim(c.Metadata.NamespaceProperty, c.Metadata.Name);
                if (current is null || current.Metadata.Uid != c.Metadata.Uid)
                {
                    return Status.Error($"binding volumes: persistentvolumeclaim \"{c.Metadata.Name}\" not found");
                }

                if (decision.Provisions.Contains(c) && string.IsNullOrEmpty(current.Spec.VolumeName)
                    && current.Metadata.Annotations?.TryGetValue(StorageAnnotations.SelectedNode, out string? selected) == true && selected != nodeName)
                {
                    return Status.Error($"binding volumes: selectedNode annotation value \"{selected}\" not set to scheduled node \"{nodeName}\"");
                }

                all &= !string.IsNullOrEmpty(current.Spec.VolumeName) && current.Status?.Phase == "Bound";
            }

            if (all)
            {
                return Status.Success;
            }

            if (handle.Time.GetUtcNow() >= deadline)
            {
                return Status.Error("binding volumes: context deadline exceeded");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), handle.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The smallest Available volume of the claim's class that fits it and can reach <paramref name="node"/>.</summary>
    private V1PersistentVolume? BestVolume(V1PersistentVolumeClaim claim, V1Node node, HashSet<string> taken)
    {
        Quantity request = claim.Spec.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? r) == true ? r.ToQuantity() : Quantity.Zero;
        return Objects.Volumes()
            .Where(v => !taken.Contains(v.Metadata.Name) && v.Metadata.DeletionTimestamp is null
                && (v.Spec.ClaimRef is null ? v.Status?.Phase is null or "Available" : v.Spec.ClaimRef.Uid == claim.Metadata.Uid)
                && (v.Spec.StorageClassName ?? "") == (claim.Spec.StorageClassName ?? "")
                && (v.Spec.VolumeMode ?? "Filesystem") == (claim.Spec.VolumeMode ?? "Filesystem")
                && (claim.Spec.AccessModes ?? []).All(m => v.Spec.AccessModes?.Contains(m) == true)
                && v.Spec.Capacity?.TryGetValue("storage", out ResourceQuantity? c) == true && c.ToQuantity().CompareTo(request) >= 0
                && (claim.Spec.Selector is null || LabelSelectors.Matches(claim.Spec.Selector, v.Metadata.Labels))
                && Reachable(v, node))
            .OrderBy(v => v.Spec.ClaimRef is null ? 1 : 0)
            .ThenBy(v => v.Spec.Capacity["storage"].ToQuantity())
            .FirstOrDefault();
    }

    /// <summary>
    /// checkVolumeProvisions: null when the claim can be provisioned on <paramref name="node"/> (a class with a
    /// provisioner whose allowedTopologies, if any, include the node, and enough capacity there); else why not.
    /// </summary>
    private string? ProvisionConflict(V1PersistentVolumeClaim claim, V1Node node)
    {
        V1StorageClass? storageClass = Objects.StorageClass(claim.Spec.StorageClassName);
        if (storageClass is null || string.IsNullOrEmpty(storageClass.Provisioner) || storageClass.Provisioner == NoProvisioner || claim.Spec.Selector is not null)
        {
            return BindConflict;
        }

        if (storageClass.AllowedTopologies is { Count: > 0 } terms
            && !terms.Any(t => (t.MatchLabelExpressions ?? []).All(e => node.Metadata.Labels?.TryGetValue(e.Key, out string? v) == true && e.Values.Contains(v))))
        {
            return BindConflict;
        }

        return HasEnoughCapacity(claim, storageClass, node) ? null : NotEnoughSpace;
    }

    /// <summary>
    /// hasEnoughCapacity: only for a CSIDriver (named as the provisioner) with storageCapacity true, some
    /// CSIStorageCapacity of the class whose nodeTopology selects the node has a maximumVolumeSize (else capacity) of
    /// at least the claim's request.
    /// </summary>
    private bool HasEnoughCapacity(V1PersistentVolumeClaim claim, V1StorageClass storageClass, V1Node node)
    {
        if (claim.Spec.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? request) != true
            || Objects.CsiDriver(storageClass.Provisioner)?.Spec.StorageCapacity != true)
        {
            return true;
        }

        Quantity size = request!.ToQuantity();
        return Objects.StorageCapacities().Any(c =>
            c.StorageClassName == storageClass.Metadata.Name
            && (c.MaximumVolumeSize ?? c.Capacity) is { } limit && limit.ToQuantity().CompareTo(size) >= 0
            && c.NodeTopology is { } topology && LabelSelectors.Matches(topology, node.Metadata.Labels));
    }

    private static V1ObjectReference ClaimRef(V1PersistentVolumeClaim claim) =>
        new() { ApiVersion = "v1", Kind = "PersistentVolumeClaim", NamespaceProperty = claim.Metadata.NamespaceProperty, Name = claim.Metadata.Name, Uid = claim.Metadata.Uid, ResourceVersion = claim.Metadata.ResourceVersion };

    private static bool Reachable(V1PersistentVolume volume, V1Node node) =>
        volume.Spec.NodeAffinity?.Required is not { } required || LabelSelectors.MatchesAnyTerm(required.NodeSelectorTerms, node);
}
