using k8s;
using k8s.Models;
using Navarch.Kubelet.Containerd;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The built-in images without any script: the kubelet builds the pause image itself when its images folder brings
/// none, and the busybox image has every applet of busybox-static.
/// </summary>
[Trait("Category", "Node")]
public sealed class BuiltinImagesEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_kubelet_brought_no_pause_image_builds_it_and_busybox_has_every_applet()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        // The fixture brings busybox only (TestImages): the pause image is the kubelet's own, built at start.
        Assert.True(File.Exists(Path.Combine(node.Options.ImagesDir, "pause.tar")));
        using var cri = new CriConnection(node.Socket);
        Assert.NotNull(await cri.Images.ImageStatusAsync(new ImageSpec { Image = ContainerdConfig.DefaultPauseImage }, CancellationToken.None));

        Kubernetes client = node.Client;
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "applets", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = node.Options.NodeName,
                RestartPolicy = "Never",
                Containers =
                [
                    new V1Container
                    {
                        Name = "main",
                        Image = "busybox:1.35",
                        Command = ["sh", "-c", "for a in wget nc nslookup ping vi tar; do [ -x /bin/$a ] || exit 1; done; grep -q ^nobody: /etc/passwd"],
                    },
                ],
            },
        }, "default");
        await KubeletNode.WaitAsync(async () =>
        {
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync("applets", "default");
            Assert.NotEqual("Failed", p.Status?.Phase);
            return p.Status?.Phase == "Succeeded" ? p : null;
        }, "the applets pod succeeds");
    }
}
