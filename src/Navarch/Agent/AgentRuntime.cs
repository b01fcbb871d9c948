using Microsoft.Extensions.Logging;
using Navarch.Proxy;

namespace Navarch.Agent;

/// <summary>
/// The node agent (k3s's pkg/agent): starts the kubelet — which registers the Node and supervises its containerd —
/// then the Service proxy; stops them in the reverse order. <c>navarch agent</c> and <c>navarch kubelet</c> run it
/// alone; <c>navarch server</c> runs it beside the control plane.
/// </summary>
internal sealed class AgentRuntime(k8s.Kubernetes client, AgentOptions options, ILoggerFactory logging) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource? _running;
    private Kubelet.Kubelet? _kubelet;
    private Task _proxy = Task.CompletedTask;
    private bool _stopped;

    /// <summary>Starts the kubelet, then the proxy (which runs until <see cref="StopAsync"/> or <paramref name="cancellationToken"/>).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        CancellationToken running = _running.Token;
        _kubelet = new Kubelet.Kubelet(client, options.Kubelet, logging);
        await _kubelet.StartAsync(running);
        if (options.Proxy is { } proxy)
        {
            _proxy = Task.Run(() => new ProxyServer(client, proxy, logging).RunAsync(running), CancellationToken.None);
        }
    }

    /// <summary>
    /// Stops the proxy, then the kubelet (and its containerd). A proxy that failed throws here, once the kubelet has
    /// stopped.
    /// </summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _stopping.CancelAsync();
        try
        {
            await _proxy;
        }
        finally
        {
            if (_kubelet is not null)
            {
                await _kubelet.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _running?.Dispose();
            _stopping.Dispose();
        }
    }
}
