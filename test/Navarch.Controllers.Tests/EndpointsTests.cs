using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>The Endpoints controller against a real API server, the test playing the kubelet.</summary>
[Trait("Category", "Integration")]
public sealed class EndpointsTests : ServiceCluster
{
    private static List<string> Ips(IEnumerable<V1EndpointSubset>? subsets, bool ready) =>
        (subsets ?? []).SelectMany(s => (ready ? s.Addresses : s.NotReadyAddresses) ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Ready_pods_are_addresses_and_the_others_not_ready_addresses()
    {
        await CreateService("web", App("web"), 8080);
        await RunningPod("a", App("web"), "10.0.0.1", ready: true);
        await RunningPod("b", App("web"), "10.0.0.2", ready: false);
        await CreatePod("no-ip-yet", App("web"));
        await RunningPod("other", App("other"), "10.0.0.9", ready: true);

        V1Endpoints? ep = await Eventually(() => ReadEndpoints("web"),
            e => Ips(e?.Subsets, true).SequenceEqual(["10.0.0.1"]) && Ips(e?.Subsets, false).SequenceEqual(["10.0.0.2"]), "a ready, b not ready");
        V1EndpointSubset subset = Assert.Single(ep!.Subsets);
        Corev1EndpointPort port = Assert.Single(subset.Ports);
        Assert.Equal(("web", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
        V1EndpointAddress a = Assert.Single(subset.Addresses);
        Assert.Equal("node-1", a.NodeName);
        Assert.Equal(("Pod", "default", "a"), (a.TargetRef.Kind, a.TargetRef.NamespaceProperty, a.TargetRef.Name));
        Assert.False(string.IsNullOrEmpty(a.TargetRef.Uid));
        Assert.False(ep.Metadata.Labels?.ContainsKey("service.kubernetes.io/headless") ?? false);

        // b becomes ready; a finishes (a terminal pod leaves).
        await SetStatus("b", "10.0.0.2", ready: true);
        await SetStatus("a", "10.0.0.1", ready: false, phase: "Succeeded");
        await Eventually(() => ReadEndpoints("web"),
            e => Ips(e?.Subsets, true).SequenceEqual(["10.0.0.2"]) && Ips(e?.Subsets, false).Count == 0, "only b, ready");
    }

    [Fact]
    public async Task A_named_target_port_resolves_per_pod_and_pods_without_it_are_left_out()
    {
        await CreateService("named", App("named"), "http");
        await RunningPod("x", App("named"), "10.0.1.1", ready: true, Port("http", 8080));
        await RunningPod("y", App("named"), "10.0.1.2", ready: true, Port("http", 9090), Port("metrics", 9100));
        await RunningPod("z", App("named"), "10.0.1.3", ready: true, Port("admin", 8080));

        V1Endpoints? ep = await Eventually(() => ReadEndpoints("named"), e => Ips(e?.Subsets, true).Count == 2, "x and y");
        Assert.Equal(2, ep!.Subsets.Count);
        var byPort = ep.Subsets.ToDictionary(s => Assert.Single(s.Ports).Port, s => Assert.Single(s.Addresses).Ip);
        Assert.Equal("10.0.1.1", byPort[8080]);
        Assert.Equal("10.0.1.2", byPort[9090]);
    }

    [Fact]
    public async Task A_terminating_pod_leaves_unless_the_service_publishes_not_ready_addresses()
    {
        await CreateService("plain", App("t"), 8080);
        await CreateService("publish", App("t"), 8080, publishNotReady: true);
        await RunningPod("ready", App("t"), "10.0.2.1", ready: true);
        await RunningPod("unready", App("t"), "10.0.2.2", ready: false);

        await Eventually(() => ReadEndpoints("publish"), e => Ips(e?.Subsets, true).SequenceEqual(["10.0.2.1", "10.0.2.2"]), "publish lists both as addresses");
        await Eventually(() => ReadEndpoints("plain"),
            e => Ips(e?.Subsets, true).SequenceEqual(["10.0.2.1"]) && Ips(e?.Subsets, false).SequenceEqual(["10.0.2.2"]), "plain splits them");

        // A bound pod deleted gracefully stays (terminating) until its kubelet removes it.
        await Client.CoreV1.DeleteNamespacedPodAsync("ready", Ns);
        Assert.NotNull((await Client.CoreV1.ReadNamespacedPodAsync("ready", Ns)).Metadata.DeletionTimestamp);
        await Eventually(() => ReadEndpoints("plain"), e => Ips(e?.Subsets, true).Count == 0 && Ips(e?.Subsets, false).SequenceEqual(["10.0.2.2"]), "plain drops the terminating pod");
        V1Endpoints? publish = await ReadEndpoints("publish");
        Assert.Equal(["10.0.2.1", "10.0.2.2"], Ips(publish?.Subsets, true));
    }

    [Fact]
    public async Task Headless_services_are_labelled_and_a_deleted_service_loses_its_endpoints()
    {
        await CreateService("headless", App("h"), 8080, headless: true, labels: new Dictionary<string, string> { ["team"] = "blue" });
        await RunningPod("h1", App("h"), "10.0.3.1", ready: true);
        V1Endpoints? ep = await Eventually(() => ReadEndpoints("headless"), e => Ips(e?.Subsets, true).Count == 1, "h1 listed");
        Assert.Equal("", ep!.Metadata.Labels["service.kubernetes.io/headless"]);
        Assert.Equal("blue", ep.Metadata.Labels["team"]);

        await Client.CoreV1.DeleteNamespacedServiceAsync("headless", Ns);
        await Eventually(() => ReadEndpoints("headless"), e => e is null, "endpoints deleted with the service");
    }

    [Fact]
    public async Task A_service_without_a_selector_keeps_its_user_managed_endpoints()
    {
        await CreateService("external", selector: null, 5432);
        await Client.CoreV1.CreateNamespacedEndpointsAsync(new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "external" },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.168.7.7" }], Ports = [new Corev1EndpointPort { Port = 5432 }] }],
        }, Ns);
        V1Endpoints before = (await ReadEndpoints("external"))!;

        // Once a later Service has been handled, the earlier one has been too.
        await CreateService("later", App("later"), 8080);
        await RunningPod("l1", App("later"), "10.0.4.1", ready: true);
        await Eventually(() => ReadEndpoints("later"), e => Ips(e?.Subsets, true).Count == 1, "later handled");

        V1Endpoints after = (await ReadEndpoints("external"))!;
        Assert.Equal(before.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
        Assert.Equal("192.168.7.7", after.Subsets.Single().Addresses.Single().Ip);
        Assert.Empty(await SlicesOf("external"));
    }
}
