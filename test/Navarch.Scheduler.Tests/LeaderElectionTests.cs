using k8s;
using k8s.Models;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests;

[Trait("Category", "Integration")]
public sealed class LeaderElectionTests : SchedulerCluster
{
    protected override bool StartScheduler => false;

    [Fact]
    public async Task OnlyTheLeaderSchedulesAndAStandbyTakesOver()
    {
        SchedulerOptions Options(string identity) => new()
        {
            LeaderElection = new() { LeaseName = KubeScheduler.LeaseName, Identity = identity, LeaseDuration = TimeSpan.FromSeconds(2), RenewDeadline = TimeSpan.FromSeconds(1), RetryPeriod = TimeSpan.FromMilliseconds(200) },
        };
        using var stopA = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        using var stopB = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        var stops = new Dictionary<string, CancellationTokenSource> { ["a"] = stopA, ["b"] = stopB };
        Task a = new KubeScheduler(Client, Logging, options: Options("a")).RunAsync(stopA.Token);
        Task b = new KubeScheduler(Client, Logging, options: Options("b")).RunAsync(stopB.Token);

        await CreateNodeAsync(Node("n1"));
        await CreatePodAsync(Pod("first"));
        await WaitBoundAsync("first");
        V1Lease lease = await Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-scheduler", "kube-system");
        string leader = lease.Spec.HolderIdentity;
        Assert.Contains(leader, stops.Keys);

        // The leader dies; the standby takes the lease once it expires and schedules.
        await stops[leader].CancelAsync();
        await (leader == "a" ? a : b);
        await CreatePodAsync(Pod("second"));
        await WaitBoundAsync("second", 30);
        lease = await Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-scheduler", "kube-system");
        Assert.NotEqual(leader, lease.Spec.HolderIdentity);

        await stopA.CancelAsync();
        await stopB.CancelAsync();
        await Task.WhenAll(a, b);
    }
}
