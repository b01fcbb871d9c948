using System.Net;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer.Pki;
using Navarch.ApiServer.Reconcilers;
using Navarch.Storage;

namespace Navarch.ApiServer.Identity;

/// <summary>
/// What makes API servers sharing one store know of each other, started once the server serves (kube-apiserver's
/// post-start hooks) and stopped before it stops serving (its pre-shutdown hook): this server's identity Lease, the
/// identity Lease garbage collector, and the lease endpoint reconciler of <c>default/kubernetes</c>, all over the
/// server's loopback client.
/// </summary>
internal sealed class PeerLeases : IAsyncDisposable
{
    private readonly LoopbackClient _loopback;
    private readonly IdentityLeaseController _identity;
    private readonly ApiServerLeaseGc _gc;
    private readonly EndpointReconciler _endpoints;

    private PeerLeases(IStore store, ClusterPki pki, string url, ApiServerOptions options, ILoggerFactory loggerFactory)
    {
        _loopback = new LoopbackClient(pki, url);
        string hostname = Dns.GetHostName();
        _identity = new IdentityLeaseController(() => _loopback.Current, ApiServerIdentity.Of(hostname, options.DataDir), hostname, options.Leases, options.Time, loggerFactory.CreateLogger<IdentityLeaseController>());
        _gc = new ApiServerLeaseGc(() => _loopback.Current, options.Leases, options.Time, loggerFactory.CreateLogger<ApiServerLeaseGc>());
        // The category keeps navarch server's log lines of the kubernetes Service as they were.
        _endpoints = new EndpointReconciler(store, () => _loopback.Current, loggerFactory.CreateLogger("Navarch.KubernetesService"), options.Leases, options.Time);
    }

    /// <summary>The name of this server's identity Lease in <c>kube-system</c>.</summary>
    public string IdentityLeaseName => _identity.LeaseName;

    /// <summary>
    /// Takes up the identity Lease, collects expired ones and publishes this server's advertise address (when it has
    /// one) before returning — so a started server holds its Lease and is among the <c>kubernetes</c> Service's
    /// endpoints, and no request of its own trails its start — then keeps them so in the background.
    /// </summary>
    public static async Task<PeerLeases> StartAsync(IStore store, ClusterPki pki, string url, int port, ApiServerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var leases = new PeerLeases(store, pki, url, options, loggerFactory);
        await leases._identity.StartAsync(cancellationToken);
        await leases._gc.StartAsync(cancellationToken);
        if (options.AdvertiseAddress is { } advertise)
        {
            await leases._endpoints.StartAsync(advertise, port, options.AdvertiseNodeName, cancellationToken);
        }

        return leases;
    }

    /// <summary>A clean stop: this server's address leaves <c>default/kubernetes</c> at once, and the loops end.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _endpoints.RemoveEndpointsAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                // The store or the server did not answer in time: the address goes when its lease expires.
            }
        }

        await _endpoints.DisposeAsync();
        await _identity.DisposeAsync();
        await _gc.DisposeAsync();
        _loopback.Dispose();
    }
}
