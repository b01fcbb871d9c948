using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.VolumeProtection;

/// <summary>
/// kube-controller-manager's pv-protection controller: a PersistentVolume being deleted keeps its
/// kubernetes.io/pv-protection finalizer while it is Bound, and loses it once it is not; a volume without the finalizer
/// (made before the admission plugin) gets it.
/// </summary>
public sealed class PvProtectionController : QueueController
{
    private readonly Informer<V1PersistentVolume> _volumes;

    /// <summary>Creates the controller over the shared PersistentVolume informer.</summary>
    public PvProtectionController(ControllerContext context)
        : base("pv-protection", context)
    {
        _volumes = context.Informers.Get<V1PersistentVolume>();
        _volumes.AddHandler(new ResourceEventHandler<V1PersistentVolume>(Changed, (_, _) => { }));
    }

    private void Changed(V1PersistentVolume volume)
    {
        if (Finalizers.IsDeletionCandidate(volume, Finalizers.PvProtection) || Finalizers.NeedToAdd(volume, Finalizers.PvProtection))
        {
            Enqueue(volume);
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_volumes.Store.Get(key) is not { } volume)
        {
            return;
        }

        if (Finalizers.IsDeletionCandidate(volume, Finalizers.PvProtection) && volume.Status?.Phase != "Bound")
        {
            await Client.CoreV1.ReplacePersistentVolumeAsync(Finalizers.With(volume, Finalizers.PvProtection, present: false), key, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else if (Finalizers.NeedToAdd(volume, Finalizers.PvProtection))
        {
            await Client.CoreV1.ReplacePersistentVolumeAsync(Finalizers.With(volume, Finalizers.PvProtection, present: true), key, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
