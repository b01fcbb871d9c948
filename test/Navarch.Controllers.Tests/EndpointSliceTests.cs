using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>The EndpointSlice controller against a real API server, the test playing the kubelet.</summary>
[Trait("Category", "Integration")]
public sealed class EndpointSliceTests : ServiceCluster
{
    private static V1Endpoint? Find(IEnumerable<V1EndpointSlice> slices, string pod) =>
        AllEndpoints(slices).FirstOrDefault(e => e.TargetRef?.Name == pod);

    [Fact]
    public async Task Slices_carry_labels_owner_ports_and_ready_conditions_and_are_updated_in_place()
    {
        V1Service service = await CreateService("web", App("web"), 8080, labels: new Dictionary<string, string> { ["team"] = "blue" });
        await RunningPod("a", App("web"), "10.1.0.1", ready: true);
        await RunningPod("b", App("web"), "10.1.0.2", ready: false);

        IList<V1EndpointSlice> slices = await Eventually(() => SlicesOf("web"), s => AllEndpoints(s).Count() == 2, "a and b in a slice");
        V1EndpointSlice slice = Assert.Single(slices);
        Assert.StartsWith("web-", slice.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal("blue", slice.Metadata.Labels["team"]);
        V1OwnerReference owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("Service", "web", service.Metadata.Uid, true), (owner.Kind, owner.Name, owner.Uid, owner.Controller));
        Discoveryv1EndpointPort port = Assert.Single(slice.Ports);
        Assert.Equal(("web", 8080, "TCP"), (port.Name, port.Port, port.Protocol));

        V1Endpoint a = Find(slices, "a")!;
        Assert.Equal(["10.1.0.1"], a.Addresses);
        Assert.Equal((true, true, false), (a.Conditions.Ready, a.Conditions.Serving, a.Conditions.Terminating));
        Assert.Equal("node-1", a.NodeName);
        Assert.Equal(("Pod", "default"), (a.TargetRef.Kind, a.TargetRef.NamespaceProperty));
        V1Endpoint b = Find(slices, "b")!;
        Assert.Equal((false, false, false), (b.Conditions.Ready, b.Conditions.Serving, b.Conditions.Terminating));

        // b turns ready: the same slice is updated.
        await SetStatus("b", "10.1.0.2", ready: true);
        slices = await Eventually(() => SlicesOf("web"), s => Find(s, "b")?.Conditions.Ready == true, "b ready");
        Assert.Equal(slice.Metadata.Name, Assert.Single(slices).Metadata.Name);
    }

    [Fact]
    public async Task Two_hundred_fifty_pods_fill_three_slices_of_at_most_a_hundred()
    {
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, 250).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await RunningPod($"p{i}", App("big"), $"10.2.{i / 200}.{(i % 200) + 1}", ready: true);
            }
            finally
            {
                gate.Release();
            }
        }));
        await CreateService("big", App("big"), 8080);

        IList<V1EndpointSlice> slices = await Eventually(() => SlicesOf("big"), s => AllEndpoints(s).Count() == 250, "250 endpoints");
        Assert.Equal(3, slices.Count);
        Assert.All(slices, s => Assert.InRange(s.Endpoints.Count, 1, 100));
        Assert.Equal(250, AllEndpoints(slices).Select(e => e.TargetRef.Name).Distinct().Count());

        // Stable: nothing is rewritten once the slices match. A write that does not happen has no event: a window.
        await Task.Delay(500);
        IList<V1EndpointSlice> again = await SlicesOf("big");
        Assert.Equal(slices.Select(s => s.Metadata.ResourceVersion).Order(), again.Select(s => s.Metadata.ResourceVersion).Order());
    }

    [Fact]
    public async Task Removed_pods_leave_their_slice_and_the_last_one_leaves_a_placeholder()
    {
        await CreateService("shrink", App("s"), 8080);
        await RunningPod("s1", App("s"), "10.7.0.1", ready: true);
        await RunningPod("s2", App("s"), "10.7.0.2", ready: true);
        string name = Assert.Single(await Eventually(() => SlicesOf("shrink"), s => AllEndpoints(s).Count() == 2, "s1 and s2")).Metadata.Name;

        await Client.CoreV1.DeleteNamespacedPodAsync("s1", Ns, gracePeriodSeconds: 0);
        IList<V1EndpointSlice> slices = await Eventually(() => SlicesOf("shrink"), s => AllEndpoints(s).Count() == 1, "s1 gone");
        Assert.Equal("s2", Find(slices, "s2")!.TargetRef.Name);
        Assert.Equal(name, Assert.Single(slices).Metadata.Name);

        // A pod whose labels stop matching leaves too; the empty Service keeps one placeholder slice.
        await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"elsewhere\"}}}", V1Patch.PatchType.MergePatch), "s2", Ns);
        slices = await Eventually(() => SlicesOf("shrink"), s => s.Count == 1 && !AllEndpoints(s).Any(), "placeholder only");
        Assert.Empty(slices[0].Ports ?? []);
    }

    [Fact]
    public async Task A_gracefully_deleted_pod_is_terminating_and_still_serving()
    {
        await CreateService("grace", App("g"), 8080);
        await RunningPod("g1", App("g"), "10.3.0.1", ready: true);
        await Eventually(() => SlicesOf("grace"), s => Find(s, "g1")?.Conditions.Ready == true, "g1 ready");

        await Client.CoreV1.DeleteNamespacedPodAsync("g1", Ns);
        IList<V1EndpointSlice> slices = await Eventually(() => SlicesOf("grace"), s => Find(s, "g1")?.Conditions.Terminating == true, "g1 terminating");
        V1Endpoint g1 = Find(slices, "g1")!;
        Assert.Equal((false, true, true), (g1.Conditions.Ready, g1.Conditions.Serving, g1.Conditions.Terminating));
    }

    [Fact]
    public async Task Publishing_not_ready_addresses_makes_every_endpoint_ready()
    {
        await CreateService("publish", App("p"), 8080, publishNotReady: true);
        await RunningPod("p1", App("p"), "10.4.0.1", ready: false);
        IList<V1EndpointSlice> slices = await Eventually(() => SlicesOf("publish"), s => Find(s, "p1") is not null, "p1 listed");
        V1Endpoint p1 = Find(slices, "p1")!;
        Assert.Equal((true, false, false), (p1.Conditions.Ready, p1.Conditions.Serving, p1.Conditions.Terminating));
    }

    [Fact]
    public async Task Pods_resolving_different_ports_go_to_different_slices()
    {
        await CreateService("named", App("n"), "http", headless: true);
        await RunningPod("x", App("n"), "10.5.0.1", ready: true, Port("http", 8080));
        await RunningPod("y", App("n"), "10.5.0.2", ready: true, Port("http", 9090));

        IList<V1EndpointSlice> slices = await Eventually(() => SlicesOf("named"), s => AllEndpoints(s).Count() == 2, "x and y");
        Assert.Equal(2, slices.Count);
        var byPort = slices.ToDictionary(s => Assert.Single(s.Ports).Port!.Value, s => Assert.Single(s.Endpoints).TargetRef.Name);
        Assert.Equal("x", byPort[8080]);
        Assert.Equal("y", byPort[9090]);
        Assert.All(slices, s => Assert.Equal("", s.Metadata.Labels["service.kubernetes.io/headless"]));
    }

    [Fact]
    public async Task A_service_without_pods_gets_a_placeholder_and_one_without_a_selector_none()
    {
        await CreateService("manual", selector: null, 8080);
        await CreateService("empty", App("nobody"), 8080);
        IList<V1EndpointSlice> slices = await Eventually(() => SlicesOf("empty"), s => s.Count == 1, "placeholder");
        Assert.Empty(slices[0].Endpoints ?? []);
        string placeholder = slices[0].Metadata.Name;

        // A pod appears: the placeholder is reused for it.
        await RunningPod("e1", App("nobody"), "10.6.0.1", ready: true);
        slices = await Eventually(() => SlicesOf("empty"), s => AllEndpoints(s).Count() == 1, "e1 listed");
        Assert.Equal(placeholder, Assert.Single(slices).Metadata.Name);
        Assert.Empty(await SlicesOf("manual"));
    }
}
