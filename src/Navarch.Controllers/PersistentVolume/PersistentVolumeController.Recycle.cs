using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.PersistentVolume;

/// <summary>
/// recycleVolumeOperation: a Released volume with reclaim policy Recycle that no pod uses is emptied by a recycler pod
/// (<see cref="VolumeRecycler"/>) on a task of its own (the one worker keeps binding meanwhile; one recycle per volume
/// at a time, as the operation executor), then gets a VolumeRecycled event and is unbound: Available again. A failed
/// recycle is Failed with "Recycle failed: ..." (VolumeFailedRecycle) and is tried again at the next sync; a source no
/// recycler handles is Failed with "No recycler plugin found for the volume!".
/// </summary>
public sealed partial class PersistentVolumeController
{
    private readonly VolumeRecycler _recycler;
    private readonly ConcurrentDictionary<string, byte> _recycling = new(StringComparer.Ordinal);

    private async Task RecycleVolumeAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        string name = volume.Metadata.Name;
        if (_recycling.ContainsKey(name))
        {
            return;
        }

        if (PodsUsing(volume) is { Count: > 0 } pods)
        {
            _events.Event(volume, "Normal", "VolumeFailedRecycle", $"Volume is used by pods: {string.Join(",", pods)}");
            return;
        }

        if (!VolumeRecycler.CanRecycle(volume))
        {
            await UpdateVolumePhaseAsync(volume, "Failed", "", cancellationToken, ("Warning", "VolumeFailedRecycle", "No recycler plugin found for the volume!")).ConfigureAwait(false);
            return;
        }

        // Only the one worker adds, so the check above and this add cannot interleave with another add.
        _recycling[name] = 0;
        _ = Task.Run(
            async () =>
            {
                try
                {
                    await RecycleOperationAsync(volume, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _recycling.TryRemove(name, out _);
                }
            },
            CancellationToken.None);
    }

    private async Task RecycleOperationAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        string name = volume.Metadata.Name;
        try
        {
            try
            {
                await _recycler.RecycleAsync(volume, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpOperationException)
            {
                string message = "Recycle failed: " + (e is HttpOperationException h ? $"{(int)h.Response.StatusCode} {h.Response.Content}" : e.Message);
                V1PersistentVolume failed = await Client.CoreV1.ReadPersistentVolumeAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
                await UpdateVolumePhaseAsync(failed, "Failed", message, cancellationToken, ("Warning", "VolumeFailedRecycle", message)).ConfigureAwait(false);
                return;
            }

            _events.Event(volume, "Normal", "VolumeRecycled", "Volume recycled");
            V1PersistentVolume current = await Client.CoreV1.ReadPersistentVolumeAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current.Metadata.Uid == volume.Metadata.Uid && current.Spec.ClaimRef?.Uid is { Length: > 0 } uid && uid == volume.Spec.ClaimRef?.Uid)
            {
                await UnbindVolumeAsync(current, cancellationToken).ConfigureAwait(false);
                Log.Recycled(Logger, name);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (HttpOperationException e)
        {
            // Saved nothing: the next sync of the volume recycles it again.
            Log.RecycleUnsaved(Logger, name, (int)e.Response.StatusCode);
        }
    }

    /// <summary>isVolumeUsed: the pods not finished that use the claim the volume was bound to (namespace/name).</summary>
    private List<string> PodsUsing(V1PersistentVolume volume)
    {
        if (volume.Spec?.ClaimRef is not { } claimRef)
        {
            return [];
        }

        return [.. _pods.Store.List(claimRef.NamespaceProperty ?? "")
            .Where(p => p.Status?.Phase is not ("Succeeded" or "Failed") && p.Spec?.Volumes?.Any(v => v.PersistentVolumeClaim?.ClaimName == claimRef.Name) == true)
            .Select(p => $"{p.Metadata.NamespaceProperty}/{p.Metadata.Name}")];
    }
}
