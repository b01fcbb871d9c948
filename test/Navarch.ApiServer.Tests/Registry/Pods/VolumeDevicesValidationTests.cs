using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Registry.Pods;

/// <summary>
/// A pod's volumeDevices (raw block volumes) through the real API server: a device on a claim is accepted; a device on
/// anything but a claim, an unknown volume, a missing or repeated or climbing devicePath, and a volume or path also in
/// volumeMounts are refused with Kubernetes' causes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeDevicesValidationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_device_on_a_claim_is_accepted()
    {
        V1Pod pod = Pod("block-ok", new V1Container
        {
            Name = "app",
            Image = "busybox",
            VolumeDevices = [new V1VolumeDevice { Name = "raw", DevicePath = "/dev/xvda" }],
        });
        V1Pod created = await fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        Assert.Equal("/dev/xvda", created.Spec.Containers[0].VolumeDevices.Single().DevicePath);
    }

    [Fact]
    public async Task Devices_Kubernetes_refuses_are_refused_with_its_causes()
    {
        V1Pod pod = Pod("block-bad", new V1Container
        {
            Name = "app",
            Image = "busybox",
            VolumeDevices =
            [
                new V1VolumeDevice { Name = "scratch", DevicePath = "/dev/a" },
                new V1VolumeDevice { Name = "nope", DevicePath = "/dev/a" },
                new V1VolumeDevice { Name = "raw", DevicePath = "/dev/../b" },
                new V1VolumeDevice { Name = "raw", DevicePath = "" },
            ],
            VolumeMounts = [new V1VolumeMount { Name = "raw", MountPath = "/dev/a" }],
        });
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        JsonNode body = JsonNode.Parse(e.Response.Content)!;
        string[] causes = [.. body["details"]!["causes"]!.AsArray().Select(c => $"{c!["reason"]} {c["field"]}: {c["message"]}")];
        const string At = "spec.containers[0]";
        Assert.Equal(
            [
                $"FieldValueInvalid {At}.volumeDevices[0].name: Invalid value: \"scratch\": can only use volume source type of PersistentVolumeClaim for block mode",
                $"FieldValueInvalid {At}.volumeDevices[0].devicePath: Invalid value: \"/dev/a\": must not already exist as a path in volumeMounts",
                $"FieldValueNotFound {At}.volumeDevices[1].name: Not found: \"nope\"",
                $"FieldValueInvalid {At}.volumeDevices[1].devicePath: Invalid value: \"/dev/a\": must be unique",
                $"FieldValueInvalid {At}.volumeDevices[1].devicePath: Invalid value: \"/dev/a\": must not already exist as a path in volumeMounts",
                $"FieldValueInvalid {At}.volumeDevices[2].devicePath: Invalid value: \"/dev/../b\": can not contain backsteps ('..')",
                $"FieldValueInvalid {At}.volumeDevices[2].name: Invalid value: \"raw\": must not already exist in volumeMounts",
                $"FieldValueInvalid {At}.volumeDevices[3].name: Invalid value: \"raw\": must be unique",
                $"FieldValueRequired {At}.volumeDevices[3].devicePath: Required value",
                $"FieldValueInvalid {At}.volumeDevices[3].name: Invalid value: \"raw\": must not already exist in volumeMounts",
                $"FieldValueInvalid {At}.volumeMounts[0].name: Invalid value: \"raw\": must not already exist in volumeDevices",
                $"FieldValueInvalid {At}.volumeMounts[0].mountPath: Invalid value: \"/dev/a\": must not already exist as a path in volumeDevices",
            ],
            causes);
    }

    private static V1Pod Pod(string name, V1Container container) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [container],
            Volumes =
            [
                new V1Volume { Name = "raw", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "raw" } },
                new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() },
            ],
        },
    };
}
