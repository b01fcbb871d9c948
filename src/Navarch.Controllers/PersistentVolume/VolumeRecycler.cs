using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.PersistentVolume;

/// <summary>
/// The in-tree recyclers of hostPath and NFS volumes (reclaim policy Recycle, deprecated but still served): a pod
/// <c>recycler-for-PV</c> in the default namespace mounts the volume at /scrub and empties it (Kubernetes' recycler pod
/// template, on the busybox image every agent has), with activeDeadlineSeconds from the volume's size (60 s minimum for
/// hostPath, 300 s for NFS, 30 s per GiB). The recycle succeeds when the pod does and fails with its message; the pod
/// is deleted either way (recyclerclient.RecycleVolumeByWatchingPodUntilCompletion).
/// </summary>
internal sealed class VolumeRecycler(IKubernetes client, string image, TimeProvider time)
{
    /// <summary>The recycler pod's command: everything under /scrub goes, hidden files too, and /scrub must end empty.</summary>
    public const string ScrubScript = "test -e /scrub && rm -rf /scrub/..?* /scrub/.[!.]* /scrub/*  && test -z \"$(ls -A /scrub)\" || exit 1";

    private const long GiB = 1L << 30;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>True when a recycler handles the volume's source (FindRecyclablePluginBySpec).</summary>
    public static bool CanRecycle(V1PersistentVolume volume) => volume.Spec?.HostPath is not null || volume.Spec?.Nfs is not null;

    /// <summary>Runs the recycler pod for <paramref name="volume"/> to its end; throws with the reason it failed.</summary>
    public async Task RecycleAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        V1Pod pod = Pod(volume);
        string name = pod.Metadata.Name;
        try
        {
            try
            {
                await client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // A recycler from an earlier attempt (or a controller manager before a restart): wait for that one.
            }

            while (true)
            {
                V1Pod current = await client.CoreV1.ReadNamespacedPodAsync(name, "default", cancellationToken: cancellationToken).ConfigureAwait(false);
                switch (current.Status?.Phase)
                {
                    case "Succeeded":
                        return;
                    case "Failed":
                        throw new InvalidOperationException(string.IsNullOrEmpty(current.Status.Message) ? "pod failed, pod.Status.Message unknown." : current.Status.Message);
                }

                await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                await client.CoreV1.DeleteNamespacedPodAsync(name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>NewPersistentVolumeRecyclerPodTemplate with the volume's source and timeout filled in.</summary>
    private V1Pod Pod(V1PersistentVolume volume)
    {
        bool nfs = volume.Spec.HostPath is null;
        long size = volume.Spec.Capacity?.TryGetValue("storage", out ResourceQuantity? q) == true ? q.ToInt64() : 0;
        long deadline = Math.Max(nfs ? 300 : 60, size / GiB * 30);
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "recycler-for-" + volume.Metadata.Name, NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                ActiveDeadlineSeconds = deadline,
                RestartPolicy = "Never",
                TerminationGracePeriodSeconds = 0,

                // A hostPath volume's data is on the node(s) its nodeAffinity names (Kubernetes assumes one node).
                Affinity = volume.Spec.NodeAffinity?.Required is { } required ? new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = required } } : null,
                Volumes =
                [
                    new V1Volume
                    {
                        Name = "vol",
                        HostPath = nfs ? null : new V1HostPathVolumeSource { Path = volume.Spec.HostPath!.Path },
                        Nfs = nfs ? new V1NFSVolumeSource { Server = volume.Spec.Nfs.Server, Path = volume.Spec.Nfs.Path } : null,
                    },
                ],
                Containers =
                [
                    new V1Container
                    {
                        Name = "pv-recycler",
                        Image = image,
                        ImagePullPolicy = "IfNotPresent",
                        Command = ["/bin/sh"],
                        Args = ["-c", ScrubScript],
                        VolumeMounts = [new V1VolumeMount { Name = "vol", MountPath = "/scrub" }],
                    },
                ],
            },
        };
    }
}
