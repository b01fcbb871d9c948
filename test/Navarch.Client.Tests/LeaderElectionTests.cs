using k8s;
using k8s.Models;
using Navarch.Testing;
using Navarch.Client.Leadership;

namespace Navarch.Client.Tests;

/// <summary>Two candidates on one Lease of a real API server: one leads; when it dies the other takes over.</summary>
[Trait("Category", "Integration")]
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Only_one_leads_and_the_standby_takes_over_within_the_lease_duration()
    {
        int leaders = 0, maxLeaders = 0, starts = 0;
        var whoLeads = new List<string>();
        LeaderElectionOptions Options(string id) => new()
        {
            LeaseName = "navarch-test",
            Identity = id,
            LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1.5),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        };
        Func<CancellationToken, Task> Work(string id) => async ct =>
        {
            lock (whoLeads)
            {
                whoLeads.Add(id);
            }

            Interlocked.Increment(ref starts);
            int now = Interlocked.Increment(ref leaders);
            InterlockedMax(ref maxLeaders, now);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                Interlocked.Decrement(ref leaders);
            }
        };

        using var clientA = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.Server.AdminKubeconfigPath));
        using var clientB = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.Server.AdminKubeconfigPath));
        using var killA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        Task a = LeaderElection.RunAsync(clientA, Options("a"), Work("a"), killA.Token);
        await Eventually(() => Volatile.Read(ref starts) == 1, "a leads", TimeSpan.FromSeconds(20));
        Task b = LeaderElection.RunAsync(clientB, Options("b"), Work("b"), stopB.Token);
        // A standby that does not respect a held lease would take it once its 2 s duration passed: that absence has
        // no event to await, so it is a window longer than the lease.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(["a"], whoLeads);
        V1Lease lease = await clientA.CoordinationV1.ReadNamespacedLeaseAsync("navarch-test", "kube-system");
        Assert.Equal("a", lease.Spec.HolderIdentity);

        // The leader dies (stops renewing); the standby acquires once the lease has expired.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await killA.CancelAsync();
        await a;
        await Eventually(() => Volatile.Read(ref starts) == 2, "b takes over", TimeSpan.FromSeconds(20));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"takeover took {clock.Elapsed}");
        Assert.Equal(["a", "b"], whoLeads);
        Assert.Equal(1, maxLeaders);
        await stopB.CancelAsync();
        await b;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
