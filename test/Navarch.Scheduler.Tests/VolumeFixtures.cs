using k8s;
using k8s.Models;

namespace Navarch.Scheduler.Tests;

/// <summary>Claims, volumes and the PersistentVolume controller's part (binding), for the scheduler's volume tests.</summary>
internal static class VolumeFixtures
{
    public const string Hostname = "kubernetes.io/hostname";

    /// <summary>A new volume as the PersistentVolume controller leaves it: Available (the API server makes it Pending).</summary>
    public static async Task CreateAvailableAsync(IKubernetes client, V1PersistentVolume volume)
    {
        volume = await client.CoreV1.CreatePersistentVolumeAsync(volume);
        volume.Status = new V1PersistentVolumeStatus { Phase = "Available" };
        await client.CoreV1.ReplacePersistentVolumeStatusAsync(volume, volume.Metadata.Name);
    }

    /// <summary>What the PersistentVolume controller does on binding.</summary>
    public static async Task BindAsync(IKubernetes client, V1PersistentVolumeClaim claim, V1PersistentVolume volume)
    {
        claim = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim.Metadata.Name, "default");
        claim.Spec.VolumeName = volume.Metadata.Name;
        claim = await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.Name, "default");
        claim.Status = new V1PersistentVolumeClaimStatus { Phase = "Bound", AccessModes = volume.Spec.AccessModes, Capacity = volume.Spec.Capacity };
        await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(claim, claim.Metadata.Name, "default");
    }

    public static V1PersistentVolumeClaim Claim(string name, string? storageClass, string size = "500Mi") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeClaimSpec
        {
            StorageClassName = storageClass,
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) } },
        },
    };

    public static V1PersistentVolume Volume(string name, string storageClass, string node, V1PersistentVolumeClaim? claim, string size = "1Gi") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeSpec
        {
            StorageClassName = storageClass,
            AccessModes = ["ReadWriteOnce"],
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) },
            Local = new V1LocalVolumeSource { Path = "/mnt/" + name },
            ClaimRef = claim is null ? null : new V1ObjectReference { ApiVersion = "v1", Kind = "PersistentVolumeClaim", NamespaceProperty = "default", Name = claim.Metadata.Name, Uid = claim.Metadata.Uid },
            NodeAffinity = new V1VolumeNodeAffinity
            {
                Required = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = Hostname, OperatorProperty = "In", Values = [node] }] }] },
            },
        },
    };

    public static V1Pod WithClaim(V1Pod pod, string claim)
    {
        pod.Metadata.Uid = null;
        pod.Spec.Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }];
        return pod;
    }

    /// <summary>The pod's volume "scratch" as a generic ephemeral volume of class manual.</summary>
    public static V1Pod WithEphemeral(V1Pod pod)
    {
        pod.Metadata.Uid = null;
        pod.Spec.Volumes =
        [
            new V1Volume
            {
                Name = "scratch",
                Ephemeral = new V1EphemeralVolumeSource { VolumeClaimTemplate = new V1PersistentVolumeClaimTemplate { Spec = Claim("template", "manual").Spec } },
            },
        ];
        return pod;
    }

    /// <summary>Waits until the pod's PodScheduled condition is Unschedulable with a message holding <paramref name="reason"/>.</summary>
    public static Task WaitUnschedulableAsync(IKubernetes client, string pod, string reason) =>
        Eventually(
            async () => (await client.CoreV1.ReadNamespacedPodAsync(pod, "default")).Status?.Conditions?.Any(c => c is { Type: "PodScheduled", Reason: "Unschedulable" } && c.Message.Contains(reason, StringComparison.Ordinal)) == true,
            $"{pod} unschedulable: {reason}");
}
