using Microsoft.Extensions.Logging;
using Navarch.Proxy;
using Navarch.Proxy.NetworkPolicy;

namespace Navarch.Agent;

/// <summary>
/// The node agent (k3s's pkg/agent): starts the kubelet — which registers the Node and supervises its containerd —
/// then the Service proxy and the network policy controller; stops them in the reverse order. <c>navarch agent</c> and <c>navarch kubelet</c> run it
/// alone; <c>navarch server</c> runs it beside the control plane. The kubelet talks with <paramref name="client"/>
/// (<c>system:node:&lt;name&gt;</c>), the proxy watches with <paramref name="proxyClient"/> (<c>system:kube-proxy</c>, as
/// k3s's) and reports the node's network condition with the kubelet's; the network policy controller watches with
/// <paramref name="proxyClient"/> too (k3s runs its kube-router with its own controller identity), and so does the
/// local-path provisioner, which makes this node's volumes, and the CSI sidecars' attacher and provisioner for the
/// CSI drivers registered on this node.
/// </summary>
internal sealed class AgentRuntime(k8s.Kubernetes client, k8s.Kubernetes proxyClient, AgentOptions options, ILoggerFactory logging) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource? _running;
    private Kubelet.Kubelet? _kubelet;
    private Task _proxy = Task.CompletedTask;
    private Task _policies = Task.CompletedTask;
    private Task _storage = Task.CompletedTask;
    private Task _csiSidecars = Task.CompletedTask;
    private Kubelet.LocalPath.LocalPathProvisioner? _provisioner;
    private bool _stopped;

    /// <summary>Starts the kubelet, then the proxy (which runs until <see cref="StopAsync"/> or <paramref name="cancellationToken"/>).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        CancellationToken running = _running.Token;
        DataDirPermissions.SecureAgent(options.Kubelet.DataDir);
        _kubelet = new Kubelet.Kubelet(client, options.Kubelet, logging);
        await _kubelet.StartAsync(running);
        if (options.Proxy is { } proxy)
        {
            _proxy = Task.Run(() => new ProxyServer(proxyClient, proxy, logging, nodeClient: client).RunAsync(running), CancellationToken.None);
        }

        // The local-path provisioner's volumes live on this node's disk, so each agent provisions its own.
        _provisioner = new Kubelet.LocalPath.LocalPathProvisioner(proxyClient, options.Kubelet.NodeName, Path.Combine(options.Kubelet.AgentDir, "storage"), logging);
        _storage = Task.Run(() => _provisioner.RunAsync(running), CancellationToken.None);

        // So are the CSI sidecars' attacher and provisioner, for the CSI drivers registered on this node.
        Kubelet.Kubelet kubelet = _kubelet;
        _csiSidecars = Task.Run(() => kubelet.RunCsiSidecarsAsync(proxyClient, running), CancellationToken.None);
        if (options.NetworkPolicy is { } policies)
        {
            _policies = options.NetworkPolicyDisabled
                ? NetworkPolicyController.CleanupAsync(policies, running)
                : Task.Run(() => new NetworkPolicyController(proxyClient, policies, logging).RunAsync(running), CancellationToken.None);
        }
    }

    /// <summary>
    /// Stops the proxy and the network policy controller, then the kubelet (and its containerd). A proxy that failed
    /// throws here, once the kubelet has stopped.
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
            await Task.WhenAll(_proxy, _policies, _storage, _csiSidecars);
        }
        finally
        {
            if (_provisioner is not null)
            {
                await _provisioner.DisposeAsync();
            }

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
