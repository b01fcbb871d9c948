using System.Diagnostics;
using k8s;
using k8s.Models;
using Navarch.ApiServer.Reconcilers;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Identity;

/// <summary>
/// The default/kubernetes Endpoints and EndpointSlice over real API servers sharing one store list exactly the live
/// servers, sorted: a server joining appears as it starts, one stopping cleanly leaves at once, and one that dies without
/// a word leaves when its master lease's TTL has passed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class KubernetesEndpointsTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(4);

    private static readonly ApiServerLeaseOptions Fast = new() { EndpointReconcilerInterval = TimeSpan.FromSeconds(1), EndpointReconcilerTtl = Ttl };

    private static async Task<(string[] Endpoints, string[] Slice)> Published(Kubernetes client)
    {
        V1Endpoints endpoints = await client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default");
        V1EndpointSlice slice = await client.DiscoveryV1.ReadNamespacedEndpointSliceAsync("kubernetes", "default");
        return ([.. Assert.Single(endpoints.Subsets).Addresses.Select(a => a.Ip)], [.. slice.Endpoints.SelectMany(e => e.Addresses)]);
    }

    private static async Task AssertPublished(Kubernetes client, params string[] addresses)
    {
        (string[] endpoints, string[] slice) = await Published(client);
        Assert.Equal(addresses, endpoints);
        Assert.Equal(addresses, slice);
    }

    [Fact]
    public async Task A_server_joining_appears_and_one_stopping_cleanly_leaves_at_once()
    {
        await using ApiServerPeers peers = await ApiServerPeers.StartAsync(2, Fast);
        Kubernetes client = peers.Servers[0].Client;
        await AssertPublished(client, "192.0.2.10", "192.0.2.11");

        // Published by the time its start returns.
        await peers.AddAsync();
        await AssertPublished(client, "192.0.2.10", "192.0.2.11", "192.0.2.12");

        // Gone as it stops, long before its lease could expire. (Right after its stop, a peer that listed the leases
        // just before may still write the old list once; its watch of the leases then puts it right.)
        var stopping = Stopwatch.StartNew();
        await peers.Servers[1].StopAsync();
        await Eventually(async () => (await Published(client)) is { } p && p.Endpoints.Length == 2 && p.Slice.Length == 2, "the stopped server's address leaves", Ttl);
        Assert.True(stopping.Elapsed < Ttl / 2, $"left after {stopping.Elapsed}");
        await AssertPublished(client, "192.0.2.10", "192.0.2.12");
        Assert.Null(await peers.Store.GetAsync(MasterLeases.Prefix + "192.0.2.11"));
    }

    [Fact]
    public async Task A_server_that_dies_leaves_once_its_master_lease_has_expired()
    {
        await using ApiServerPeers peers = await ApiServerPeers.StartAsync(2, Fast);
        Kubernetes client = peers.Servers[0].Client;
        await AssertPublished(client, "192.0.2.10", "192.0.2.11");

        var died = Stopwatch.StartNew();
        peers.Servers[1].Die();
        await Eventually(async () => (await Published(client)) is { } p && p.Endpoints.SequenceEqual(["192.0.2.10"]) && p.Slice.SequenceEqual(["192.0.2.10"]), "the dead server's address leaves", Ttl + TimeSpan.FromSeconds(3));

        // Its lease was refreshed at most an interval before it died, so it lived on for about the TTL less that.
        Assert.True(died.Elapsed >= Ttl - Fast.EndpointReconcilerInterval - TimeSpan.FromMilliseconds(500), $"left after {died.Elapsed}, before its lease could expire");
        await AssertPublished(client, "192.0.2.10");
        Assert.Null(await peers.Store.GetAsync(MasterLeases.Prefix + "192.0.2.11"));
    }
}
