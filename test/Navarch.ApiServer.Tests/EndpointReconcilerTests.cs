using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.Reconcilers;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>The endpoint reconciler points default/kubernetes at the advertised address, in place; loopback is refused.</summary>
[Trait("Category", "Integration")]
public sealed class EndpointReconcilerTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_kubernetes_service_gets_endpoints_and_a_slice_at_the_advertised_address_moved_in_place()
    {
        var reconciler = new EndpointReconciler(_host.Client, NullLogger.Instance);
        await reconciler.ReconcileAsync(IPAddress.Parse("192.0.2.10"), 6443, "node-1", CancellationToken.None);
        V1EndpointSlice first = await _host.Client.DiscoveryV1.ReadNamespacedEndpointSliceAsync("kubernetes", "default");

        await reconciler.ReconcileAsync(IPAddress.Parse("192.0.2.11"), 6443, "node-1", CancellationToken.None);
        V1Service service = await _host.Client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default");
        V1Endpoints endpoints = await _host.Client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default");
        V1EndpointSlice slice = await _host.Client.DiscoveryV1.ReadNamespacedEndpointSliceAsync("kubernetes", "default");

        V1EndpointAddress address = Assert.Single(Assert.Single(endpoints.Subsets).Addresses);
        Assert.Equal(("192.0.2.11", "node-1"), (address.Ip, address.NodeName));
        Assert.Equal(["https/TCP/6443"], endpoints.Subsets[0].Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}"));
        Assert.Equal(first.Metadata.Uid, slice.Metadata.Uid);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal(["192.0.2.11"], Assert.Single(slice.Endpoints).Addresses);
        Assert.Equal("kubernetes", slice.Metadata.Labels["kubernetes.io/service-name"]);
        Assert.Equal(service.Metadata.Uid, Assert.Single(slice.Metadata.OwnerReferences).Uid);
        Assert.Equal(["https/TCP/6443"], slice.Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}"));
        Assert.Equal("10.43.0.1", service.Spec.ClusterIP);
    }

    [Fact]
    public async Task A_loopback_address_is_not_published()
    {
        await new EndpointReconciler(_host.Client, NullLogger.Instance).ReconcileAsync(IPAddress.Loopback, 6443, null, CancellationToken.None);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _host.Client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }
}
