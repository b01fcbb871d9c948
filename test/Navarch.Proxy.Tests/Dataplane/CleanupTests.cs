using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Proxy.Tests.Dataplane;

/// <summary><c>navarch proxy --cleanup</c>'s work: every owned chain and every jump into them goes.</summary>
[Trait("Category", "Node")]
public sealed class CleanupTests
{
    [Fact]
    public async Task Cleanup_removes_every_chain_and_jump_of_the_prefix_and_nothing_else()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        await using NetnsLab lab = await NetnsLab.CreateAsync();
        var options = new ProxyOptions { NodeName = "node-a", ChainPrefix = $"NC{lab.Id}-", NetworkNamespace = lab.Node, ManageRoutes = false, MinSyncInterval = TimeSpan.FromMilliseconds(100) };
        // Somebody else's chain in the same tables stays.
        Assert.True((await lab.ExecAsync(lab.Node, "iptables", "-t", "nat", "-N", "OTHER-CHAIN")).Success);

        await api.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "none" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, "default");
        await api.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "some" }, Spec = new V1ServiceSpec { Type = "NodePort", Ports = [new V1ServicePort { Port = 80 }] } }, "default");
        await api.Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "some-x", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "some" } },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = ["10.42.0.99"], Conditions = new V1EndpointConditions { Ready = true } }],
            Ports = [new Discoveryv1EndpointPort { Port = 80, Protocol = "TCP" }],
        }, "default");

        using var stop = new CancellationTokenSource();
        var server = new ProxyServer(api.Client, options, new CollectingLoggerFactory());
        Task running = Task.Run(() => server.RunAsync(stop.Token));
        string rules = await Eventually(
            async () => (await lab.ExecAsync(lab.Node, "iptables-save")).Stdout,
            r => r.Contains("10.42.0.99:80") && r.Contains("-j REJECT") && r.Contains($"-A PREROUTING -m comment --comment \"navarch service portals\" -j {options.ChainPrefix}SERVICES"),
            "the proxy writes its rules",
            interval: TimeSpan.FromMilliseconds(100));

        await stop.CancelAsync();
        await running;
        Assert.Contains($"-A PREROUTING -m comment --comment \"navarch service portals\" -j {options.ChainPrefix}SERVICES", rules);
        Assert.Contains($"-j {options.ChainPrefix}FORWARD", rules);
        Assert.Contains($":{options.ChainPrefix}SEP-", rules);

        int removed = await ProxyServer.CleanupAsync(options);
        string after = (await lab.ExecAsync(lab.Node, "iptables-save")).Stdout;
        Assert.True(removed >= 10, $"removed {removed}");
        Assert.DoesNotContain(options.ChainPrefix, after);
        Assert.Contains(":OTHER-CHAIN", after);
        Assert.Equal(0, await ProxyServer.CleanupAsync(options));
    }
}
