using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.ApiServer.Identity;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Identity;

/// <summary>
/// kube-apiserver's APIServerIdentity over real servers sharing one store: each holds its own labelled Lease in
/// kube-system and renews it; the garbage collector deletes only identity Leases whose renewal is past their duration.
/// </summary>
[Trait("Category", "Integration")]
public sealed class IdentityLeaseTests
{
    private static readonly ApiServerLeaseOptions Fast = new() { IdentityLeaseRenewInterval = TimeSpan.FromMilliseconds(500) };

    private static async Task<IList<V1Lease>> IdentityLeases(k8s.Kubernetes client) =>
        (await client.CoordinationV1.ListNamespacedLeaseAsync("kube-system", labelSelector: "apiserver.kubernetes.io/identity=kube-apiserver")).Items;

    [Fact]
    public async Task Two_servers_on_one_store_hold_an_identity_lease_each_labelled_and_renewed()
    {
        await using ApiServerPeers peers = await ApiServerPeers.StartAsync(2, Fast);
        k8s.Kubernetes client = peers.Servers[0].Client;

        IList<V1Lease> leases = await Eventually(() => IdentityLeases(client), l => l.Count == 2, "both servers hold an identity Lease");
        string[] expected = [.. peers.Servers.Select(s => ApiServerIdentity.Of(Dns.GetHostName(), s.DataDir)).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, leases.Select(l => l.Metadata.Name).Order(StringComparer.Ordinal));
        foreach (V1Lease lease in leases)
        {
            Assert.Equal("kube-apiserver", lease.Metadata.Labels["apiserver.kubernetes.io/identity"]);
            Assert.Equal(Dns.GetHostName(), lease.Metadata.Labels["kubernetes.io/hostname"]);
            Assert.StartsWith(lease.Metadata.Name + "_", lease.Spec.HolderIdentity, StringComparison.Ordinal);
            Assert.Equal(3600, lease.Spec.LeaseDurationSeconds);
        }

        // Renewed: each Lease's renewTime moves on.
        Dictionary<string, DateTime> first = leases.ToDictionary(l => l.Metadata.Name, l => l.Spec.RenewTime!.Value);
        await Eventually(
            async () => (await IdentityLeases(client)).All(l => l.Spec.RenewTime > first[l.Metadata.Name]),
            "both identity Leases are renewed");

        // A server restarted on its data dir takes up the same Lease under a new holder; no third Lease appears.
        string name = ApiServerIdentity.Of(Dns.GetHostName(), peers.Servers[1].DataDir);
        string holder = leases.Single(l => l.Metadata.Name == name).Spec.HolderIdentity;
        await peers.RestartAsync(1);
        IList<V1Lease> after = await Eventually(() => IdentityLeases(client), ls => ls.Single(l => l.Metadata.Name == name).Spec.HolderIdentity != holder, "the restarted server holds its Lease anew");
        Assert.Equal(expected, after.Select(l => l.Metadata.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_collector_deletes_identity_leases_not_renewed_within_their_duration_and_nothing_else()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync();
        string own = ApiServerIdentity.Of(Dns.GetHostName(), host.DataDir);
        await Eventually(async () => (await IdentityLeases(host.Client)).Any(l => l.Metadata.Name == own), "the server holds its identity Lease");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        DateTime now = time.GetUtcNow().UtcDateTime;
        await CreateLease(host, "kube-apiserver-stale", identity: true, renewed: now.AddSeconds(-3601));
        await CreateLease(host, "kube-apiserver-live", identity: true, renewed: now.AddSeconds(-10));
        await CreateLease(host, "kube-apiserver-unrenewed", identity: true, renewed: null);
        await CreateLease(host, "some-controller", identity: false, renewed: now.AddHours(-5));
        await using var gc = new ApiServerLeaseGc(() => host.Client, new ApiServerLeaseOptions(), time, NullLogger.Instance);

        IReadOnlyList<string> deleted = await gc.CollectAsync(CancellationToken.None);

        Assert.Equal(["kube-apiserver-stale", "kube-apiserver-unrenewed"], deleted.Order(StringComparer.Ordinal));
        string[] left = [.. (await host.Client.CoordinationV1.ListNamespacedLeaseAsync("kube-system")).Items.Select(l => l.Metadata.Name)];
        Assert.Contains("kube-apiserver-live", left);
        Assert.Contains("some-controller", left);
        Assert.DoesNotContain("kube-apiserver-stale", left);
        // The server's own Lease, renewed just now, stays.
        Assert.Contains(own, left);

        // An hour on without a renewal, the live one is gone too; the other component's Lease is never the collector's.
        time.Advance(TimeSpan.FromHours(1));
        Assert.Contains("kube-apiserver-live", await gc.CollectAsync(CancellationToken.None));
        Assert.Contains("some-controller", (await host.Client.CoordinationV1.ListNamespacedLeaseAsync("kube-system")).Items.Select(l => l.Metadata.Name));
    }

    private static Task<V1Lease> CreateLease(ApiServerHost host, string name, bool identity, DateTime? renewed) =>
        host.Client.CoordinationV1.CreateNamespacedLeaseAsync(
            new V1Lease
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    Labels = identity ? new Dictionary<string, string> { ["apiserver.kubernetes.io/identity"] = "kube-apiserver" } : null,
                },
                Spec = new V1LeaseSpec { HolderIdentity = name + "_1", LeaseDurationSeconds = 3600, RenewTime = renewed },
            },
            "kube-system");
}
