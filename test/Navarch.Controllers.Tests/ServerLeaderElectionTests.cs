using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Client.Leadership;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// Controller managers on two API servers that share one store, as every navarch server runs one: only the holder of
/// the kube-controller-manager Lease acts; one stopped cleanly hands the Lease over at once (ReleaseOnCancel), and one
/// that comes back under its former identity (navarch server's identity is kept in its data dir) takes its Lease up
/// again at once instead of waiting out the lease duration.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ServerLeaderElectionTests : IAsyncLifetime
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(6);

    private readonly List<(CancellationTokenSource Stop, Task Run)> _managers = [];
    private ApiServerPeers _peers = null!;

    private Kubernetes Client => _peers.Servers[0].Client;

    public async Task InitializeAsync() => _peers = await ApiServerPeers.StartAsync(2, new ApiServerLeaseOptions());

    public async Task DisposeAsync()
    {
        foreach ((CancellationTokenSource stop, Task run) in _managers)
        {
            await stop.CancelAsync();
            await run;
            stop.Dispose();
        }

        await _peers.DisposeAsync();
    }

    /// <summary>Starts a controller manager on server <paramref name="server"/>; cancelling the returned source stops it.</summary>
    private CancellationTokenSource StartManager(int server, string identity, bool releaseOnCancel)
    {
        var stop = new CancellationTokenSource();
        var options = new ControllerManagerOptions
        {
            LeaderElection = new LeaderElectionOptions
            {
                LeaseName = ControllerManager.LeaseName,
                Identity = identity,
                LeaseDuration = LeaseDuration,
                RenewDeadline = TimeSpan.FromSeconds(4),
                RetryPeriod = TimeSpan.FromMilliseconds(300),
                ReleaseOnCancel = releaseOnCancel,
            },
        };
        _managers.Add((stop, new ControllerManager(_peers.Servers[server].Client, NullLoggerFactory.Instance, options: options).RunAsync(stop.Token)));
        return stop;
    }

    private async Task<V1Lease?> Lease()
    {
        try
        {
            return await Client.CoordinationV1.ReadNamespacedLeaseAsync(ControllerManager.LeaseName, "kube-system");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<string?> Holder() => (await Lease())?.Spec?.HolderIdentity;

    private async Task<string[]> Pods(string rs) => [.. (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"rs={rs}")).Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Only_the_leader_acts_and_a_clean_stop_hands_over_at_once_to_the_other_server()
    {
        var stops = new Dictionary<string, CancellationTokenSource>(StringComparer.Ordinal)
        {
            ["server-0_a"] = StartManager(0, "server-0_a", releaseOnCancel: true),
            ["server-1_b"] = StartManager(1, "server-1_b", releaseOnCancel: true),
        };
        string leader = (await Eventually(Holder, h => h is not null && stops.ContainsKey(h), "a controller manager holds the Lease"))!;
        string standby = stops.Keys.Single(k => k != leader);

        await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet("web", 2), "default");
        string[] first = await Eventually(() => Pods("web"), p => p.Length == 2, "the leader creates the ReplicaSet's pods");
        Assert.Equal(leader, await Holder());

        // A clean stop releases the Lease: the standby holds it within its next tries, not after the lease duration.
        var stopped = Stopwatch.StartNew();
        await stops[leader].CancelAsync();
        await Eventually(async () => await Holder() == standby, $"{standby} takes the Lease over", LeaseDuration);
        Assert.True(stopped.Elapsed < LeaseDuration / 2, $"took {stopped.Elapsed} to take over");

        // The new leader's controllers act: a deleted pod is replaced, by one pod.
        await Client.CoreV1.DeleteNamespacedPodAsync(first[0], "default");
        string[] now = await Eventually(() => Pods("web"), p => p.Length == 2 && !p.Contains(first[0]), "the deleted pod is replaced");
        Assert.Contains(first[1], now);
        await Task.Delay(1000);
        Assert.Equal(2, (await Pods("web")).Length);
    }

    [Fact]
    public async Task A_leader_that_comes_back_under_its_identity_takes_its_lease_up_at_once()
    {
        CancellationTokenSource a = StartManager(0, "server-0_a", releaseOnCancel: false);
        await Eventually(async () => await Holder() == "server-0_a", "the first manager holds the Lease");
        StartManager(1, "server-1_b", releaseOnCancel: false);
        V1Lease held = (await Lease())!;

        // Gone without releasing (as a crash): the standby would have to wait out the lease duration.
        await a.CancelAsync();
        var restarted = Stopwatch.StartNew();
        StartManager(0, "server-0_a", releaseOnCancel: false);
        await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet("api", 1), "default");
        await Eventually(async () => (await Pods("api")).Length == 1, "the restarted manager acts", LeaseDuration);

        Assert.True(restarted.Elapsed < LeaseDuration / 2, $"took {restarted.Elapsed} to act again");
        V1Lease lease = (await Lease())!;
        Assert.Equal("server-0_a", lease.Spec.HolderIdentity);
        Assert.Equal(held.Spec.LeaseTransitions, lease.Spec.LeaseTransitions);
    }
}
