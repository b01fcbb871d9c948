using k8s;
using k8s.Models;
using Navarch.Kubelet.Containerd.Registries;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// registries.yaml end to end: images named after docker.io and after a registry that does not resolve are pulled
/// from a private registry on loopback (with the credentials of <c>configs</c>), through containerd's hosts.toml, and
/// by the names the mirrors' rewrites make of them.
/// </summary>
[Trait("Category", "Node")]
public sealed class RegistryMirrorEndToEndTests(ITestOutputHelper output)
{
    private static V1Pod Pod(string name, string node, string image, string pullPolicy = "Always") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            NodeName = node,
            TerminationGracePeriodSeconds = 0,
            Containers = [new V1Container { Name = "main", Image = image, ImagePullPolicy = pullPolicy, Command = ["sh", "-c", "echo mirrored; sleep 3600"] }],
        },
    };

    /// <summary>A loopback registry (user navarch, password s3cret) holding the test busybox image under each of <paramref name="references"/> (repository:tag).</summary>
    private static async Task<LoopbackRegistry> RegistryWithBusyboxAsync(params string[] references)
    {
        string images = Path.Combine("/tmp", "nvmirror-" + Guid.NewGuid().ToString("N")[..6]);
        LoopbackRegistry registry = await LoopbackRegistry.StartAsync("navarch", "s3cret");
        try
        {
            await TestImages.BuildAsync(images);
            string busybox = Path.Combine(images, "busybox.tar");
            foreach (string reference in references)
            {
                int colon = reference.LastIndexOf(':');
                await registry.PushAsync(busybox, reference[..colon], reference[(colon + 1)..]);
            }

            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
        finally
        {
            if (Directory.Exists(images))
            {
                Directory.Delete(images, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Images_come_from_the_mirror_of_their_registry()
    {
        // A mirror whose endpoint has a path: the path is its API root.
        await using LoopbackRegistry registry = await RegistryWithBusyboxAsync("library/nvmirror-busybox:1.0", "example/team/tools:2.0");

        PrivateRegistries registries = PrivateRegistries.Parse($$"""
            mirrors:
              docker.io:
                endpoint:
                  - "http://{{registry.Host}}"
              registry.invalid:
                endpoint:
                  - "http://{{registry.Host}}/v2/example"
            configs:
              "{{registry.Host}}":
                auth:
                  username: navarch
                  password: s3cret
            """, "registries.yaml");
        await using KubeletNode node = await KubeletNode.StartAsync(output, registries: registries);
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;

        (string Pod, string Image)[] cases = [("hub", "docker.io/library/nvmirror-busybox:1.0"), ("short", "nvmirror-busybox:1.0"), ("pathed", "registry.invalid/team/tools:2.0")];
        foreach ((string pod, string image) in cases)
        {
            await client.CoreV1.CreateNamespacedPodAsync(Pod(pod, nodeName, image), "default");
        }

        foreach ((string pod, string image) in cases)
        {
            await RunningAsync(client, pod, image);
        }

        // The image is kept under the name the pod asked for, not the mirror's.
        Assert.StartsWith("docker.io/library/nvmirror-busybox@sha256:", (await client.CoreV1.ReadNamespacedPodAsync("hub", "default")).Status.ContainerStatuses[0].ImageID, StringComparison.Ordinal);
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite,
            File.GetUnixFileMode(Path.Combine(Path.GetDirectoryName(node.Kubelet.Containerd!.Endpoint)!, "certs.d", "docker.io", "hosts.toml")));
    }

    [Fact]
    public async Task A_mirror_with_rewrites_serves_the_rewritten_name_and_the_node_keeps_the_original()
    {
        // Only under the rewritten paths: the original names exist nowhere, so a pod runs only if the rewrite is applied.
        await using LoopbackRegistry registry = await RegistryWithBusyboxAsync("mirrored/hub/nvrewrite-busybox:1.0", "example/rewritten/tools:2.0");

        PrivateRegistries registries = PrivateRegistries.Parse($$"""
            mirrors:
              docker.io:
                endpoint:
                  - "http://{{registry.Host}}"
                rewrite:
                  "^library/(nvrewrite-.*)$": "mirrored/hub/$1"
              registry.invalid:
                endpoint:
                  - "http://{{registry.Host}}/v2/example"
                rewrite:
                  "^team/(.*)$": "rewritten/$1"
            configs:
              "{{registry.Host}}":
                auth:
                  username: navarch
                  password: s3cret
            """, "registries.yaml");
        await using KubeletNode node = await KubeletNode.StartAsync(output, registries: registries);
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;

        (string Pod, string Image)[] cases = [("hub", "nvrewrite-busybox:1.0"), ("pathed", "registry.invalid/team/tools:2.0")];
        foreach ((string pod, string image) in cases)
        {
            await client.CoreV1.CreateNamespacedPodAsync(Pod(pod, nodeName, image), "default");
        }

        foreach ((string pod, string image) in cases)
        {
            await RunningAsync(client, pod, image);
        }

        // Kept under the names the pods asked for, and under those only (both are the one busybox image, so its
        // first repository digest stands for both pods).
        foreach ((string pod, _) in cases)
        {
            string imageId = (await client.CoreV1.ReadNamespacedPodAsync(pod, "default")).Status.ContainerStatuses[0].ImageID;
            Assert.True(imageId.StartsWith("docker.io/library/nvrewrite-busybox@sha256:", StringComparison.Ordinal) || imageId.StartsWith("registry.invalid/team/tools@sha256:", StringComparison.Ordinal), imageId);
        }

        using (var cri = new Runtime.CriConnection(node.Socket))
        {
            string[] names = [.. (await cri.Images.ListImagesAsync(null, CancellationToken.None)).SelectMany(i => i.RepoTags.Concat(i.RepoDigests))];
            Assert.Contains("docker.io/library/nvrewrite-busybox:1.0", names);
            Assert.Contains("registry.invalid/team/tools:2.0", names);
            Assert.DoesNotContain(names, n => n.Contains(MirrorRewrite.Domain, StringComparison.Ordinal));
        }

        // A later pod with IfNotPresent finds the image by its original name.
        await client.CoreV1.CreateNamespacedPodAsync(Pod("again", nodeName, "docker.io/library/nvrewrite-busybox:1.0", "IfNotPresent"), "default");
        await RunningAsync(client, "again", "docker.io/library/nvrewrite-busybox:1.0", pulled: false);
        Assert.Contains((await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=again,reason=Pulled")).Items, e => e.Message == "Container image \"docker.io/library/nvrewrite-busybox:1.0\" already present on machine");
    }

    /// <summary>Waits until <paramref name="pod"/> runs <paramref name="image"/>; checks its Pulled event when it was pulled.</summary>
    private async Task RunningAsync(Kubernetes client, string pod, string image, bool pulled = true)
    {
        V1ContainerStatus running = await KubeletNode.WaitAsync(
            async () =>
            {
                V1Pod p = await client.CoreV1.ReadNamespacedPodAsync(pod, "default");
                V1ContainerStatus? status = p.Status?.ContainerStatuses?.FirstOrDefault();
                if (status?.State?.Waiting is { } waiting)
                {
                    output.WriteLine($"{pod}: {waiting.Reason} {waiting.Message}");
                }

                return status?.State?.Running is not null ? status : null;
            },
            $"pod {pod} ({image}) Running",
            90);
        Assert.Equal(image, running.Image);
        if (pulled)
        {
            Assert.Contains((await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.name={pod},reason=Pulled")).Items, e => e.Message == $"Successfully pulled image \"{image}\"");
        }
    }
}
