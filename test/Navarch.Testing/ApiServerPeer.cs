using System.Net;
using k8s;

namespace Navarch.Testing;

/// <summary>One of <see cref="ApiServerPeers"/>: a real API server, its own client and the address it advertises.</summary>
public sealed class ApiServerPeer : IAsyncDisposable
{
    private bool _stopped;

    internal ApiServerPeer(ApiServer.ApiServer server, SeverableStore store, IPAddress advertise, string dataDir)
    {
        Server = server;
        Store = store;
        Advertise = advertise;
        DataDir = dataDir;
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.AdminKubeconfigPath));
    }

    /// <summary>The server.</summary>
    public ApiServer.ApiServer Server { get; }

    /// <summary>The official client for this server, with the admin credentials.</summary>
    public Kubernetes Client { get; }

    /// <summary>The address the server advertises (one of TEST-NET-1: published, never dialled).</summary>
    public IPAddress Advertise { get; }

    /// <summary>The server's data dir.</summary>
    public string DataDir { get; }

    /// <summary>The server's way to the shared store.</summary>
    public SeverableStore Store { get; }

    /// <summary>A clean stop (the server's shutdown hooks run); the shared store stays open.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await Server.StopAsync();
    }

    /// <summary>
    /// The server dies without cleaning up: it loses the store (every call fails from now on), so it renews nothing and
    /// removes nothing, as a machine that is gone. It still answers on its port until stopped.
    /// </summary>
    public void Die() => Store.Sever();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        await Store.DisposeAsync();
    }
}
