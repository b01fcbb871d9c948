using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Testing;

namespace Navarch.Scheduler.Tests;

/// <summary>A real API server with the scheduler running against it, per test; nodes are plain Node objects (no kubelet).</summary>
public abstract class SchedulerCluster : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private ApiServerHost _host = null!;
    private Task _scheduler = Task.CompletedTask;

    protected Kubernetes Client => _host.Client;

    protected ApiServerHost Host => _host;

    protected CancellationToken Stopping => _stop.Token;

    protected virtual SchedulerOptions Options => new();

    /// <summary>Set NAVARCH_TEST_LOG to a file path to see the scheduler's log.</summary>
    protected static ILoggerFactory Logging { get; } = Environment.GetEnvironmentVariable("NAVARCH_TEST_LOG") is { Length: > 0 } path
        ? new LoggerFactory([new FileLoggerProvider(path)])
        : NullLoggerFactory.Instance;

    protected virtual bool StartScheduler => true;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync();
        if (StartScheduler)
        {
            _scheduler = new KubeScheduler(_host.Client, Logging, options: Options).RunAsync(_stop.Token);
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _scheduler;
        await _host.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>Creates a node, then writes its status (capacity, allocatable) as a kubelet would.</summary>
    protected async Task<V1Node> CreateNodeAsync(V1Node node)
    {
        V1NodeStatus status = node.Status;
        V1Node created = await Client.CoreV1.CreateNodeAsync(node);
        created.Status = status;
        return await Client.CoreV1.ReplaceNodeStatusAsync(created, created.Metadata.Name);
    }

    protected Task<V1Pod> CreatePodAsync(V1Pod pod) => Client.CoreV1.CreateNamespacedPodAsync(pod, pod.Metadata.NamespaceProperty);

    protected async Task<V1Pod> WaitBoundAsync(string name, int seconds = 10)
    {
        V1Pod? pod = null;
        await Eventually(async () => !string.IsNullOrEmpty((pod = await Client.CoreV1.ReadNamespacedPodAsync(name, "default")).Spec.NodeName), $"{name} is bound", TimeSpan.FromSeconds(seconds));
        return pod!;
    }

    protected async Task<IList<V1Pod>> WaitAllBoundAsync(int count, int seconds = 10)
    {
        IList<V1Pod> pods = [];
        await Eventually(
            async () =>
            {
                pods = (await Client.CoreV1.ListNamespacedPodAsync("default")).Items;
                return pods.Count == count && pods.All(p => !string.IsNullOrEmpty(p.Spec.NodeName));
            },
            $"{count} pods are bound",
            TimeSpan.FromSeconds(seconds));
        return pods;
    }
}
