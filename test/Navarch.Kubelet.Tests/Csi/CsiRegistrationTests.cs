using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Csi;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>
/// CSI plugin registration through the real plugins_registry path: a C# CSI driver serving the registration socket,
/// the kubelet's plugin watcher, and a real API server holding the Node and its CSINode.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CsiRegistrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _root = Path.Combine("/tmp", "nvcsireg-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8]);
    private readonly string _node = "csi-node-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly CancellationTokenSource _stop = new();
    private ApiServerHost _api = null!;
    private CsiPlugins _plugins = null!;
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _api = await ApiServerHost.StartAsync();
        await _api.Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = _node } });
        ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)));
        _plugins = new CsiPlugins(_api.Client, _node, _root, TimeProvider.System, loggers);
        _running = _plugins.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _plugins.Dispose();
        await _api.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task KubeletCreatesItsCsiNodeOwnedByTheNode()
    {
        V1CSINode csiNode = await CsiNodeAsync(c => c is not null);
        Assert.Equal("Node", csiNode.Metadata.OwnerReferences.Single().Kind);
        Assert.Equal(_node, csiNode.Metadata.OwnerReferences.Single().Name);
        Assert.Empty(csiNode.Spec.Drivers ?? []);
    }

    [Fact]
    public async Task RegisteredDriverIsOnTheCsiNodeAndTheNodeUntilItsSocketGoes()
    {
        await using TestCsiDriver driver = await StartDriverAsync("hostpath.csi.test", versions: ["0.3.0", "1.2.0"], maxVolumes: 7, topology: new Dictionary<string, string> { ["topology.hostpath.csi.test/node"] = "n1" });

        await Eventually(() => driver.Status is not null, "the kubelet tells the driver its registration status");
        Assert.True(driver.Status!.PluginRegistered, driver.Status.Error);
        V1CSINode csiNode = await CsiNodeAsync(c => c?.Spec.Drivers?.Count == 1);
        V1CSINodeDriver entry = csiNode.Spec.Drivers.Single();
        Assert.Equal("hostpath.csi.test", entry.Name);
        Assert.Equal("test-node-id", entry.NodeID);
        Assert.Equal(["topology.hostpath.csi.test/node"], entry.TopologyKeys);
        Assert.Equal(7, entry.Allocatable.Count);
        V1Node node = await _api.Client.CoreV1.ReadNodeAsync(_node);
        Assert.Equal(new Dictionary<string, string> { ["hostpath.csi.test"] = "test-node-id" }, JsonSerializer.Deserialize<Dictionary<string, string>>(node.Metadata.Annotations[CsiNodeInfo.NodeIdAnnotation]));
        Assert.Equal("n1", node.Metadata.Labels["topology.hostpath.csi.test/node"]);
        Assert.NotNull(_plugins.Drivers.Get("hostpath.csi.test"));

        await driver.StopAsync();
        await CsiNodeAsync(c => c?.Spec.Drivers is null or { Count: 0 });
        await Eventually(
            async () => (await _api.Client.CoreV1.ReadNodeAsync(_node)).Metadata.Annotations?.ContainsKey(CsiNodeInfo.NodeIdAnnotation) != true,
            "the nodeid annotation loses the driver");
        Assert.Null(_plugins.Drivers.Get("hostpath.csi.test"));
    }

    [Fact]
    public async Task DriverWithoutACsi1VersionIsRefusedAndTold()
    {
        await using TestCsiDriver driver = await StartDriverAsync("old.csi.test", versions: ["0.3.0"]);

        await Eventually(() => driver.Status is not null, "the kubelet tells the driver its registration status");
        Assert.False(driver.Status!.PluginRegistered);
        Assert.Contains("none of the CSI versions reported by this driver are supported", driver.Status.Error, StringComparison.Ordinal);
        Assert.Null(_plugins.Drivers.Get("old.csi.test"));
        Assert.Empty((await CsiNodeAsync(c => c is not null)).Spec.Drivers ?? []);
    }

    [Fact]
    public async Task TwoDriversKeepEachOthersEntries()
    {
        await using TestCsiDriver one = await StartDriverAsync("one.csi.test");
        await using TestCsiDriver two = await StartDriverAsync("two.csi.test");

        V1CSINode csiNode = await CsiNodeAsync(c => c?.Spec.Drivers?.Count == 2);
        Assert.Equal(["one.csi.test", "two.csi.test"], csiNode.Spec.Drivers.Select(d => d.Name).Order(StringComparer.Ordinal));
        Assert.Null(csiNode.Spec.Drivers[0].Allocatable);
        await one.StopAsync();
        csiNode = await CsiNodeAsync(c => c?.Spec.Drivers?.Count == 1);
        Assert.Equal("two.csi.test", csiNode.Spec.Drivers.Single().Name);
        await Eventually(
            async () => JsonSerializer.Deserialize<Dictionary<string, string>>((await _api.Client.CoreV1.ReadNodeAsync(_node)).Metadata.Annotations[CsiNodeInfo.NodeIdAnnotation])!.Keys.SequenceEqual(["two.csi.test"]),
            "the nodeid annotation keeps only the driver still registered");
    }

    private Task<TestCsiDriver> StartDriverAsync(string name, IReadOnlyList<string>? versions = null, long maxVolumes = 0, IReadOnlyDictionary<string, string>? topology = null) =>
        TestCsiDriver.StartAsync(name, Path.Combine(_root, "plugins_registry"), (n, dir, reg, app) => new TestCsiDriver(n, dir, reg, app)
        {
            Versions = versions ?? ["1.0.0"],
            MaxVolumesPerNode = maxVolumes,
            Topology = topology ?? new Dictionary<string, string>(),
        });

    private async Task<V1CSINode> CsiNodeAsync(Func<V1CSINode?, bool> condition)
    {
        V1CSINode? last = null;
        await Eventually(
            async () =>
            {
                try
                {
                    last = await _api.Client.StorageV1.ReadCSINodeAsync(_node);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    last = null;
                }

                return condition(last);
            },
            "the CSINode as expected",
            detail: () => Task.FromResult(KubernetesJson.Serialize(last)));
        return last!;
    }
}
