using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// Two controller managers against one API server, both with leader election on the kube-controller-manager Lease
/// and short timings: exactly one leads; when it dies the other takes over within the lease duration, and no pod is
/// ever created twice.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    private static ControllerManagerOptions Options(string identity) => new()
    {
        LeaderElection = new()
        {
            LeaseName = ControllerManager.LeaseName,
            Identity = identity,
            LeaseDuration = LeaseDuration,
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(300),
        },
    };

    private readonly Dictionary<string, CancellationTokenSource> _stops = new(StringComparer.Ordinal) { ["cm-a"] = new(), ["cm-b"] = new() };
    private readonly Dictionary<string, Task> _managers = new(StringComparer.Ordinal);
    private readonly List<Kubernetes> _clients = [];
    private ApiServerHost _host = null!;

    private Kubernetes Client => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync();
        foreach ((string identity, CancellationTokenSource stop) in _stops)
        {
            var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.Server.AdminKubeconfigPath));
            _clients.Add(client);
            _managers[identity] = new ControllerManager(client, NullLoggerFactory.Instance, options: Options(identity)).RunAsync(stop.Token);
        }
    }

    public async Task DisposeAsync()
    {
        foreach ((string identity, CancellationTokenSource stop) in _stops)
        {
            await stop.CancelAsync();
            await _managers[identity];
            stop.Dispose();
        }

        _clients.ForEach(c => c.Dispose());
        await _host.DisposeAsync();
    }

    private async Task<string?> Holder()
    {
        try
        {
            V1Lease lease = await Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");
            return lease.Spec?.HolderIdentity;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<int> PodCount(string rs) => (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"rs={rs}")).Items.Count;

    /// <summary>Waits until <paramref name="rs"/> has exactly <paramref name="count"/> pods, and still has a second later.</summary>
    private async Task WaitForPods(string rs, int count) =>
        await Eventually(
            async () =>
            {
                if (await PodCount(rs) != count)
                {
                    return false;
                }

                // A pod made twice (by both managers) would show within the second: a window, since nothing marks its absence.
                await Task.Delay(1000);
                return await PodCount(rs) == count;
            },
            $"{rs} settles at {count} pods",
            TimeSpan.FromSeconds(20),
            detail: async () => $"has {await PodCount(rs)}");

    [Fact]
    public async Task One_manager_leads_and_the_other_takes_over_when_it_dies_without_creating_pods_twice()
    {
        string leader = (await Eventually(Holder, h => h is not null, "somebody holds the kube-controller-manager lease"))!;
        Assert.Contains(leader, _stops.Keys);
        string follower = _stops.Keys.Single(k => k != leader);

        // Watch pod counts the whole time: never more than the replicas asked for.
        var limits = new Dictionary<string, int>(StringComparer.Ordinal) { ["first"] = 3, ["second"] = 2 };
        var excess = new List<string>();
        using var watching = new CancellationTokenSource();
        Task watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                foreach (V1Pod pod in (await Client.CoreV1.ListNamespacedPodAsync("default")).Items.GroupBy(p => p.Metadata.Labels["rs"]).Where(g => g.Count() > Volatile.Read(ref limits)[g.Key]).SelectMany(g => g))
                {
                    excess.Add(pod.Metadata.Name);
                }

                await Task.Delay(20);
            }
        });

        await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet("first", 3), "default");
        await WaitForPods("first", 3);
        Assert.Equal(leader, await Holder());

        // The leader dies (its process is gone: it neither renews nor releases the lease).
        var killed = System.Diagnostics.Stopwatch.StartNew();
        await _stops[leader].CancelAsync();
        await _managers[leader];
        await Eventually(async () => await Holder() == follower, $"{follower} takes over within the lease duration", LeaseDuration + TimeSpan.FromSeconds(2) - killed.Elapsed);

        // The new leader's controllers work, and do not recreate what the old one made.
        await WaitForPods("first", 3);
        limits = new Dictionary<string, int>(limits, StringComparer.Ordinal) { ["first"] = 5 };
        V1ReplicaSet first = await Client.AppsV1.ReadNamespacedReplicaSetAsync("first", "default");
        first.Spec.Replicas = 5;
        await Client.AppsV1.ReplaceNamespacedReplicaSetAsync(first, "first", "default");
        await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet("second", 2), "default");
        await WaitForPods("first", 5);
        await WaitForPods("second", 2);

        await watching.CancelAsync();
        await watcher;
        Assert.Empty(excess);
    }
}
