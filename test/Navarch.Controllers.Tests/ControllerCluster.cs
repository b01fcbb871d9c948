using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>A real API server with the controller manager running against it, per test.</summary>
public abstract class ControllerCluster : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private ApiServerHost _host = null!;
    private Task _manager = Task.CompletedTask;

    protected Kubernetes Client => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync();
        _manager = new ControllerManager(_host.Client, NullLoggerFactory.Instance).RunAsync(leaderElect: false, "test", _stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _manager;
        await _host.DisposeAsync();
        _stop.Dispose();
    }
}
