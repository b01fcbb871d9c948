using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.Reconcilers;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// The lease endpoint reconciler points default/kubernetes at every address with a live master lease, in place (the
/// same slice); a clean stop takes its own address out; loopback is refused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EndpointReconcilerTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private EndpointReconciler Reconciler() => new(_host.Server.Store, () => _host.Client, NullLogger.Instance);

    [Fact]
    public async Task The_kubernetes_service_gets_endpoints_and_a_slice_at_the_advertised_addresses_moved_in_place()
    {
        await using EndpointReconciler first = Reconciler(), second = Reconciler();
        await first.StartAsync(IPAddress.Parse("192.0.2.11"), 6443, "node-1", CancellationToken.None);
        V1EndpointSlice before = await _host.Client.DiscoveryV1.ReadNamespacedEndpointSliceAsync("kubernetes", "default");
        await second.StartAsync(IPAddress.Parse("192.0.2.10"), 6443, "node-2", CancellationToken.None);

        V1Endpoints endpoints = await _host.Client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default");
        Assert.Equal(["192.0.2.10/node-2", "192.0.2.11/node-1"], Assert.Single(endpoints.Subsets).Addresses.Select(a => $"{a.Ip}/{a.NodeName}"));

        await first.RemoveEndpointsAsync(CancellationToken.None);
        V1Service service = await _host.Client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default");
        endpoints = await _host.Client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default");
        V1EndpointSlice slice = await _host.Client.DiscoveryV1.ReadNamespacedEndpointSliceAsync("kubernetes", "default");

        V1EndpointAddress address = Assert.Single(Assert.Single(endpoints.Subsets).Addresses);
        Assert.Equal(("192.0.2.10", "node-2"), (address.Ip, address.NodeName));
        Assert.Equal(["https/TCP/6443"], endpoints.Subsets[0].Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}"));
        Assert.Equal(before.Metadata.Uid, slice.Metadata.Uid);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal(["192.0.2.10"], Assert.Single(slice.Endpoints).Addresses);
        Assert.Equal("node-2", slice.Endpoints[0].NodeName);
        Assert.Equal("kubernetes", slice.Metadata.Labels["kubernetes.io/service-name"]);
        Assert.Equal(service.Metadata.Uid, Assert.Single(slice.Metadata.OwnerReferences).Uid);
        Assert.Equal(["https/TCP/6443"], slice.Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}"));
        Assert.Equal("10.43.0.1", service.Spec.ClusterIP);

        // The last server's address is never erased (kube-apiserver refuses to leave the Service without endpoints).
        await second.RemoveEndpointsAsync(CancellationToken.None);
        endpoints = await _host.Client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default");
        Assert.Equal("192.0.2.10", Assert.Single(Assert.Single(endpoints.Subsets).Addresses).Ip);
        Assert.Null(await _host.Server.Store.GetAsync(MasterLeases.Prefix + "192.0.2.10"));
    }

    [Fact]
    public async Task A_loopback_address_is_not_published()
    {
        await using EndpointReconciler reconciler = Reconciler();
        await reconciler.StartAsync(IPAddress.Loopback, 6443, null, CancellationToken.None);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _host.Client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
        Assert.Empty((await _host.Server.Store.ListAsync(MasterLeases.Prefix, new Navarch.Storage.ListOptions())).Items);
    }
}
