using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Pods;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Ephemeral;

/// <summary>
/// kube-controller-manager's ephemeral-volume controller (pkg/controller/volume/ephemeral): for each generic ephemeral
/// volume of a pod not being deleted it creates the claim <c>&lt;pod&gt;-&lt;volume&gt;</c> from the volume's
/// volumeClaimTemplate, controlled by the pod (blockOwnerDeletion), so that the garbage collector deletes it with the
/// pod. A claim of that name the pod does not control is never taken over: the pod gets a FailedBinding event and is
/// retried. Pod updates are ignored (the spec is immutable); a claim deleted under a live pod is made again.
/// </summary>
public sealed class EphemeralVolumeController : QueueController
{
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly EventRecorder _events;

    /// <summary>Creates the controller over the shared pod and claim informers.</summary>
    public EphemeralVolumeController(ControllerContext context)
        : base("ephemeral_volume", context)
    {
        _events = context.Recorder("ephemeral_volume");
        _pods = context.Informers.Get<V1Pod>();
        _claims = context.Informers.Get<V1PersistentVolumeClaim>();
        _pods.AddHandler(new ResourceEventHandler<V1Pod> { AddFunc = EnqueuePod });
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim> { DeleteFunc = (claim, _) => ClaimDeleted(claim) });
    }

    private void EnqueuePod(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is null && pod.Spec?.Volumes?.Any(v => v.Ephemeral is not null) == true)
        {
            Enqueue(pod);
        }
    }

    /// <summary>Someone deleted a claim: a pod whose ephemeral volume it was gets it again.</summary>
    private void ClaimDeleted(V1PersistentVolumeClaim claim)
    {
        foreach (V1Pod pod in _pods.Store.List(claim.Metadata.NamespaceProperty))
        {
            if (pod.Spec?.Volumes?.Any(v => v.Ephemeral is not null && EphemeralVolumes.ClaimName(pod, v) == claim.Metadata.Name) == true)
            {
                EnqueuePod(pod);
            }
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_pods.Store.Get(key) is not { } pod || pod.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        foreach (V1Volume volume in pod.Spec.Volumes ?? [])
        {
            if (volume.Ephemeral is null)
            {
                continue;
            }

            if (await EnsureClaimAsync(pod, volume, cancellationToken).ConfigureAwait(false) is { } error)
            {
                _events.Event(pod, "Warning", "FailedBinding", $"ephemeral volume {volume.Name}: {error}");
                throw new EphemeralVolumeException($"pod {key}, ephemeral volume {volume.Name}: {error}");
            }
        }
    }

    /// <summary>Makes the volume's claim unless the pod has it; the error when it cannot.</summary>
    private async Task<string?> EnsureClaimAsync(V1Pod pod, V1Volume volume, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty;
        string name = EphemeralVolumes.ClaimName(pod, volume);
        if (_claims.Store.Get($"{ns}/{name}") is { } existing)
        {
            return EphemeralVolumes.NotForPod(pod, existing);
        }

        V1PersistentVolumeClaimTemplate template = volume.Ephemeral.VolumeClaimTemplate;
        var claim = new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                OwnerReferences = [ControllerRefs.To(pod, "v1", "Pod")],
                Labels = template?.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
                Annotations = template?.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
            },
            Spec = template?.Spec is { } spec ? ModelCopies.Copy(spec) : new V1PersistentVolumeClaimSpec(),
        };
        try
        {
            await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Made meanwhile (the cache lags): it is fine only if it is this pod's.
            V1PersistentVolumeClaim live = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            return EphemeralVolumes.NotForPod(pod, live);
        }
        catch (HttpOperationException e)
        {
            return $"create PVC {name}: {PodEvents.ErrorOf(e)}";
        }
    }
}
