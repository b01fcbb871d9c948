using k8s;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Controllers.PersistentVolume;

namespace Navarch.Controllers.VolumeProtection;

/// <summary>
/// kube-controller-manager's pvc-protection controller: a claim being deleted keeps its kubernetes.io/pvc-protection
/// finalizer while a scheduled pod uses it (directly or as its generic ephemeral volume), checked in the cache and
/// then by a live list, so a pod the cache has not seen yet still counts; a claim without the finalizer gets it.
/// </summary>
public sealed class PvcProtectionController : QueueController
{
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1Pod> _pods;

    /// <summary>Creates the controller over the shared claim and pod informers.</summary>
    public PvcProtectionController(ControllerContext context)
        : base("pvc-protection", context)
    {
        _claims = context.Informers.Get<V1PersistentVolumeClaim>();
        _pods = context.Informers.Get<V1Pod>();
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim>(Changed, (_, _) => { }));
        // A pod that goes (or changes) may release the claims it names.
        _pods.AddHandler(new ResourceEventHandler<V1Pod>(PodChanged, (pod, _) => PodChanged(pod)));
    }

    private void Changed(V1PersistentVolumeClaim claim)
    {
        if (Finalizers.IsDeletionCandidate(claim, Finalizers.PvcProtection) || Finalizers.NeedToAdd(claim, Finalizers.PvcProtection))
        {
            Enqueue(claim);
        }
    }

    private void PodChanged(V1Pod pod)
    {
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            string? claimName = volume.PersistentVolumeClaim?.ClaimName ?? (volume.Ephemeral is not null ? $"{pod.Metadata.Name}-{volume.Name}" : null);
            if (claimName is not null && _claims.Store.Get($"{pod.Metadata.NamespaceProperty}/{claimName}") is { } claim && Finalizers.IsDeletionCandidate(claim, Finalizers.PvcProtection))
            {
                Enqueue(claim);
            }
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_claims.Store.Get(key) is not { } claim)
        {
            return;
        }

        string ns = claim.Metadata.NamespaceProperty;
        if (Finalizers.IsDeletionCandidate(claim, Finalizers.PvcProtection))
        {
            if (_pods.Store.List(ns).Any(p => UsesClaim(p, claim)))
            {
                return;
            }

            // The cache may lag behind a pod just created: ask the API server before letting the claim go.
            V1PodList live = await Client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (live.Items.Any(p => UsesClaim(p, claim)))
            {
                return;
            }

            await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(Finalizers.With(claim, Finalizers.PvcProtection, present: false), claim.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else if (Finalizers.NeedToAdd(claim, Finalizers.PvcProtection))
        {
            await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(Finalizers.With(claim, Finalizers.PvcProtection, present: true), claim.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>podUsesPVC: only a scheduled pod counts (the kubelet will not start a pod whose claim is being deleted).</summary>
    private static bool UsesClaim(V1Pod pod, V1PersistentVolumeClaim claim) =>
        !string.IsNullOrEmpty(pod.Spec?.NodeName) && PersistentVolumeController.UsesClaim(pod, claim.Metadata.Name);
}
