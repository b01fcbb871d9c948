using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;
using static Navarch.Controllers.Tests.PersistentVolumeTests;

namespace Navarch.Controllers.Tests;

/// <summary>
/// Reclaim policy Recycle against a real API server, the test playing the kubelet that runs the recycler pod: a
/// released hostPath volume gets the recycler pod (busybox, the scrub command, the volume at /scrub, the deadline
/// from its size), is Available again with a VolumeRecycled event once the pod succeeds, and the pod is deleted; a pod
/// that fails makes the volume Failed ("Recycle failed: ...", VolumeFailedRecycle); a source no recycler handles is
/// Failed at once; hostPath "/" with Recycle is refused by validation.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PersistentVolumeRecycleTests : ControllerCluster
{
    private const string Ns = "default";

    protected override ControllerManagerOptions Options => new() { PersistentVolumeSyncPeriod = TimeSpan.FromMilliseconds(300) };

    [Fact]
    public async Task A_recycled_volume_is_scrubbed_by_a_pod_and_Available_again_or_Failed_with_the_pods_message()
    {
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("scrubbed", "3Gi", policy: "Recycle", path: "/tmp/navarch-recycle/scrubbed"));
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("broken", "1Gi", ["ReadWriteMany"], policy: "Recycle", path: "/tmp/navarch-recycle/broken"));
        await BindAndReleaseAsync("scrubbed-claim", "scrubbed");

        V1Pod pod = await Eventually(() => PodOrNullAsync("recycler-for-scrubbed"), p => p is not null, "the recycler pod") ?? throw new InvalidOperationException();
        V1Container container = pod.Spec.Containers.Single();
        Assert.Equal(("pv-recycler", "docker.io/library/busybox:1.35", "/scrub"), (container.Name, container.Image, container.VolumeMounts.Single().MountPath));
        Assert.Equal(["/bin/sh", "-c", "test -e /scrub && rm -rf /scrub/..?* /scrub/.[!.]* /scrub/*  && test -z \"$(ls -A /scrub)\" || exit 1"], container.Command.Concat(container.Args));
        Assert.Equal("/tmp/navarch-recycle/scrubbed", pod.Spec.Volumes.Single().HostPath.Path);
        Assert.Equal(90, pod.Spec.ActiveDeadlineSeconds);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.Equal("Released", (await Client.CoreV1.ReadPersistentVolumeAsync("scrubbed")).Status.Phase);

        await FinishAsync(pod, "Succeeded", null);
        V1PersistentVolume available = await Eventually(() => Client.CoreV1.ReadPersistentVolumeAsync("scrubbed"), v => v.Status?.Phase == "Available", "the recycled volume Available");
        Assert.Null(available.Spec.ClaimRef);
        await EventSeenAsync("scrubbed", "VolumeRecycled", "Volume recycled");
        await Eventually(() => PodOrNullAsync("recycler-for-scrubbed"), p => p is null, "the recycler pod deleted");

        // Available again: a new claim binds it.
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("next", "2Gi"), Ns);
        await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("next", Ns), c => c.Status?.Phase == "Bound" && c.Spec.VolumeName == "scrubbed", "the recycled volume bound again");

        // A recycler pod that fails: the volume is Failed with its message.
        await BindAndReleaseAsync("broken-claim", "broken", ["ReadWriteMany"]);
        V1Pod failing = await Eventually(() => PodOrNullAsync("recycler-for-broken"), p => p is not null, "the second recycler pod") ?? throw new InvalidOperationException();
        Assert.Equal(60, failing.Spec.ActiveDeadlineSeconds);
        await FinishAsync(failing, "Failed", "scrub exited 1");
        V1PersistentVolume failed = await Eventually(() => Client.CoreV1.ReadPersistentVolumeAsync("broken"), v => v.Status?.Phase == "Failed", "the volume Failed");
        Assert.Equal("Recycle failed: scrub exited 1", failed.Status.Message);
        await EventSeenAsync("broken", "VolumeFailedRecycle", "Recycle failed: scrub exited 1");
    }

    [Fact]
    public async Task A_source_no_recycler_handles_is_Failed_and_hostPath_root_is_refused()
    {
        V1PersistentVolume csi = Volume("csi-recycle", "1Gi", policy: "Recycle");
        csi.Spec.HostPath = null;
        csi.Spec.Csi = new V1CSIPersistentVolumeSource { Driver = "csi.example.com", VolumeHandle = "h1" };
        await Client.CoreV1.CreatePersistentVolumeAsync(csi);
        await BindAndReleaseAsync("csi-claim", "csi-recycle");
        await Eventually(() => Client.CoreV1.ReadPersistentVolumeAsync("csi-recycle"), v => v.Status?.Phase == "Failed", "the volume Failed");
        await EventSeenAsync("csi-recycle", "VolumeFailedRecycle", "No recycler plugin found for the volume!");

        HttpOperationException refused = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreatePersistentVolumeAsync(Volume("root", "1Gi", policy: "Recycle", path: "/")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.Contains("spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'", refused.Response.Content, StringComparison.Ordinal);
    }

    private async Task BindAndReleaseAsync(string claim, string volume, string[]? modes = null)
    {
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(claim, "1Gi", modes, volumeName: volume), Ns);
        await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim, Ns), c => c.Status?.Phase == "Bound", $"{claim} Bound", TimeSpan.FromSeconds(30));
        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(claim, Ns);
    }

    /// <summary>What the kubelet reports when the recycler container ends.</summary>
    private async Task FinishAsync(V1Pod pod, string phase, string? message)
    {
        V1Pod current = await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, Ns);
        current.Status = new V1PodStatus { Phase = phase, Message = message };
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(current, current.Metadata.Name, Ns);
    }

    private async Task<V1Pod?> PodOrNullAsync(string name)
    {
        try
        {
            return await Client.CoreV1.ReadNamespacedPodAsync(name, Ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private Task EventSeenAsync(string name, string reason, string message) =>
        Eventually(
            async () => (await Client.CoreV1.ListEventForAllNamespacesAsync(fieldSelector: $"involvedObject.name={name}")).Items.Any(e => e.Reason == reason && e.Message == message),
            $"event {reason} \"{message}\" on {name}");
}
