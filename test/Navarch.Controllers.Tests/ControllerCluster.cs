using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>A real API server with the controller manager running against it, per test.</summary>
public abstract class ControllerCluster : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider? _time;
    private ApiServerHost _host = null!;
    private Task _manager = Task.CompletedTask;

    protected ControllerCluster()
        : this(null)
    {
    }

    /// <summary>Runs the controllers on <paramref name="time"/> (e.g. a FakeTimeProvider) instead of the system clock.</summary>
    protected ControllerCluster(TimeProvider? time) => _time = time;

    protected Kubernetes Client => _host.Client;

    /// <summary>The admin kubeconfig, for the real kubectl.</summary>
    protected string Kubeconfig => _host.Server.AdminKubeconfigPath;

    /// <summary>The API server's CA certificate (PEM).</summary>
    protected string ServerCa => _host.Server.Pki.Ca.ExportCertificatePem();

    /// <summary>The controller manager's options; suites override what they need to be fast.</summary>
    protected virtual ControllerManagerOptions Options => new();

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync();
        _manager = new ControllerManager(_host.Client, NullLoggerFactory.Instance, _time, Options).RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _manager;
        await _host.DisposeAsync();
        _stop.Dispose();
    }
}
