using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Cri;
using Navarch.Kubelet.Cri.V1;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The kubelet against a real API server and its own containerd, as root: node registration and lease, a busybox
/// pod from Pending to Running with its output in the CRI log, and graceful deletion down to no containers.
/// </summary>
public sealed class KubeletEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Pod_runs_logs_and_is_deleted()
    {
        Assert.True(Environment.UserName == "root", "the kubelet end-to-end test runs containerd and must run as root");
        TestImages.EnsurePackages();

        string suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        string dataDir = Path.Combine("/tmp", "nvk-" + suffix);
        var options = new KubeletOptions
        {
            NodeName = "node-" + suffix,
            DataDir = dataDir,
            BridgeName = "nvt" + suffix,
            DefaultPodCidr = $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(250)}.0/24",
            LeaseRenewInterval = TimeSpan.FromSeconds(2),
            StatusUpdateInterval = TimeSpan.FromSeconds(2),
        };
        using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)).SetMinimumLevel(LogLevel.Information));
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        Kubernetes client = api.Client;
        string? socket = null;
        try
        {
            await TestImages.BuildAsync(options.ImagesDir, Path.Combine(dataDir, "scratch"));
            await using (var kubelet = new Kubelet(client, options, loggers))
            {
                await kubelet.StartAsync(CancellationToken.None);
                socket = kubelet.RuntimeEndpoint!;

                V1Node node = await WaitAsync(async () =>
                {
                    V1Node n = await client.CoreV1.ReadNodeAsync(options.NodeName);
                    return n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true ? n : null;
                }, "node Ready");
                Assert.Equal(options.NodeName, node.Metadata.Labels["kubernetes.io/hostname"]);
                Assert.Equal("linux", node.Metadata.Labels["kubernetes.io/os"]);
                Assert.Equal("110", node.Status.Capacity["pods"].ToString());
                Assert.StartsWith("containerd://", node.Status.NodeInfo.ContainerRuntimeVersion, StringComparison.Ordinal);
                Assert.Contains(node.Status.Images, i => i.Names.Contains(TestImages.Busybox));
                V1Lease lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.NodeName, "kube-node-lease");
                Assert.Equal(options.NodeName, lease.Spec.HolderIdentity);

                var pod = new V1Pod
                {
                    Metadata = new V1ObjectMeta { Name = "hello", NamespaceProperty = "default" },
                    Spec = new V1PodSpec
                    {
                        NodeName = options.NodeName,
                        TerminationGracePeriodSeconds = 2,
                        Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sh", "-c", "echo hello; sleep 3600"] }],
                    },
                };
                V1Pod created = await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
                V1Pod running = await WaitAsync(async () =>
                {
                    V1Pod p = await client.CoreV1.ReadNamespacedPodAsync("hello", "default");
                    return p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null ? p : null;
                }, "pod Running");
                V1ContainerStatus status = running.Status.ContainerStatuses[0];
                Assert.StartsWith("containerd://", status.ContainerID, StringComparison.Ordinal);
                Assert.StartsWith("sha256:", status.ImageID, StringComparison.Ordinal);
                Assert.Equal(0, status.RestartCount);
                Assert.True(status.Ready);
                Assert.False(string.IsNullOrEmpty(running.Status.PodIP));
                Assert.Contains(running.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");

                string log = Path.Combine(options.PodLogsDir, $"default_hello_{created.Metadata.Uid}", "main", "0.log");
                await WaitAsync(() => Task.FromResult<string?>(File.Exists(log) && File.ReadAllText(log).Contains("hello", StringComparison.Ordinal) ? "ok" : null), "hello in the container log");

                await client.CoreV1.DeleteNamespacedPodAsync("hello", "default");
                await WaitAsync(async () =>
                {
                    try
                    {
                        await client.CoreV1.ReadNamespacedPodAsync("hello", "default");
                        return null;
                    }
                    catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                    {
                        return "gone";
                    }
                }, "pod deleted");

                using var cri = new CriConnection(socket);
                var filter = new ContainerFilter();
                filter.LabelSelector["io.kubernetes.pod.uid"] = created.Metadata.Uid;
                ListContainersResponse left = await cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter });
                Assert.Empty(left.Containers);
                await NodeCleanup.RemoveSandboxesAsync(socket);
            }
        }
        finally
        {
            string containerdLog = Path.Combine(dataDir, "agent", "containerd", "containerd.log");
            if (File.Exists(containerdLog))
            {
                output.WriteLine("containerd log (tail):");
                foreach (string line in File.ReadLines(containerdLog).TakeLast(40))
                {
                    output.WriteLine(line);
                }
            }

            if (socket is not null && File.Exists(socket))
            {
                await NodeCleanup.RemoveSandboxesAsync(socket);
            }

            NodeCleanup.RemoveHostState(dataDir, options.BridgeName);
        }
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, string what, int seconds = 60)
        where T : class
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await probe() is { } result)
            {
                return result;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(200);
        }
    }
}
