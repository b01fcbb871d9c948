using System.Text;
using k8s;
using k8s.Models;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// Pulls from a private registry on loopback through CRI PullImage: refused without credentials (ErrImagePull, then
/// ImagePullBackOff), with wrong ones, and pulled with the pod's imagePullSecrets or its service account's.
/// </summary>
[Trait("Category", "Node")]
public sealed class ImagePullTests(ITestOutputHelper output)
{
    private static V1Pod Pod(string name, string node, string image, string? secret = null, string pullPolicy = "IfNotPresent") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            NodeName = node,
            TerminationGracePeriodSeconds = 0,
            ImagePullSecrets = secret is null ? null : [new V1LocalObjectReference { Name = secret }],
            Containers = [new V1Container { Name = "main", Image = image, ImagePullPolicy = pullPolicy, Command = ["sh", "-c", "echo pulled; sleep 3600"] }],
        },
    };

    private static V1Secret PullSecret(string name, string server, string user, string password) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Type = "kubernetes.io/dockerconfigjson",
        StringData = new Dictionary<string, string>
        {
            // The shape `kubectl create secret docker-registry` writes.
            [".dockerconfigjson"] = System.Text.Json.JsonSerializer.Serialize(new
            {
                auths = new Dictionary<string, object>
                {
                    [server] = new { username = user, password, auth = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)) },
                },
            }),
        },
    };

    private static Task<V1ContainerStatus> WaitStatusAsync(Kubernetes client, string pod, Func<V1ContainerStatus, bool> condition, string what) =>
        KubeletNode.WaitAsync(async () =>
        {
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync(pod, "default");
            V1ContainerStatus? status = p.Status?.ContainerStatuses?.FirstOrDefault();
            return status is not null && condition(status) ? status : null;
        }, what, 90);

    [Fact]
    public async Task A_private_registry_is_pulled_from_with_imagePullSecrets_only()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        await using LoopbackRegistry registry = await LoopbackRegistry.StartAsync("navarch", "s3cret");
        await registry.PushAsync(Path.Combine(node.Options.ImagesDir, "busybox.tar"), "team/busybox", "1.35");
        string image = $"{registry.Host}/team/busybox:1.35";
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;

        await client.CoreV1.CreateNamespacedPodAsync(Pod("anonymous", nodeName, image), "default");
        V1ContainerStatus refused = await WaitStatusAsync(client, "anonymous", s => s.State?.Waiting?.Reason is "ErrImagePull", "ErrImagePull without credentials");
        output.WriteLine(refused.State.Waiting.Message);
        Assert.Contains("401 Unauthorized", refused.State.Waiting.Message, StringComparison.Ordinal);
        await WaitStatusAsync(client, "anonymous", s => s.State?.Waiting?.Reason == "ImagePullBackOff" && s.State.Waiting.Message == $"Back-off pulling image \"{image}\"", "ImagePullBackOff");

        await client.CoreV1.CreateNamespacedSecretAsync(PullSecret("wrong", registry.Host, "navarch", "guess"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("wrong-password", nodeName, image, "wrong"), "default");
        await KubeletNode.WaitAsync(
            async () => (await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=wrong-password,reason=Failed")).Items.FirstOrDefault(e => e.Message.Contains("401 Unauthorized", StringComparison.Ordinal)),
            "a Failed pull event with a wrong password");
        await WaitStatusAsync(client, "wrong-password", s => s.State?.Waiting?.Reason is "ErrImagePull" or "ImagePullBackOff", "the pod waiting on its image");

        await client.CoreV1.CreateNamespacedPodAsync(Pod("missing-secret", nodeName, image, "nowhere"), "default");
        await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=missing-secret,reason=FailedToRetrieveImagePullSecret")).Items.FirstOrDefault(), "FailedToRetrieveImagePullSecret event");

        await client.CoreV1.CreateNamespacedSecretAsync(PullSecret("regcred", registry.Host, "navarch", "s3cret"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("private", nodeName, image, "regcred"), "default");
        V1ContainerStatus running = await WaitStatusAsync(client, "private", s => s.State?.Running is not null, "pod with imagePullSecrets Running");
        Assert.Equal(image, running.Image);
        // A pulled image is reported by its repository digest, as containerd's ImageRef and Kubernetes have it.
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(registry.Host)}/team/busybox@sha256:[0-9a-f]{{64}}$", running.ImageID);
        Assert.Contains((await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=private,reason=Pulled")).Items, e => e.Message == $"Successfully pulled image \"{image}\"");

        // Through the service account (admission copies its imagePullSecrets), pulled again because of policy Always.
        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "puller" }, ImagePullSecrets = [new V1LocalObjectReference { Name = "regcred" }] }, "default");
        V1Pod viaAccount = Pod("via-account", nodeName, image, pullPolicy: "Always");
        viaAccount.Spec.ServiceAccountName = "puller";
        Assert.Equal(["regcred"], (await client.CoreV1.CreateNamespacedPodAsync(viaAccount, "default")).Spec.ImagePullSecrets.Select(s => s.Name));
        await WaitStatusAsync(client, "via-account", s => s.State?.Running is not null, "pod through its service account Running");
        Assert.Contains((await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=via-account,reason=Pulled")).Items, e => e.Message == $"Successfully pulled image \"{image}\"");

        // With the image present, IfNotPresent would run it without credentials (as on Kubernetes); Always still asks
        // the registry, so a pod without them stays refused.
        await client.CoreV1.CreateNamespacedPodAsync(Pod("always-anonymous", nodeName, image, pullPolicy: "Always"), "default");
        await KubeletNode.WaitAsync(
            async () => (await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=always-anonymous,reason=Failed")).Items.FirstOrDefault(e => e.Message.Contains("401 Unauthorized", StringComparison.Ordinal)),
            "a Failed pull event for policy Always without credentials");
        Assert.Null((await client.CoreV1.ReadNamespacedPodAsync("always-anonymous", "default")).Status.ContainerStatuses[0].State.Running);
    }
}
