using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client;

namespace Navarch.ApiServer.Identity;

/// <summary>
/// kube-apiserver's identity lease controller (component-helpers' lease controller under the APIServerIdentity post-start
/// hook): this server holds the Lease <c>kube-system/&lt;id&gt;</c>, labelled as an API server's and with its host name,
/// held by <c>&lt;id&gt;_&lt;uuid of this start&gt;</c>, and renews it every few seconds so peers (and the garbage
/// collector) see it is alive. The Lease is left behind on a stop, as kube-apiserver leaves it: a restarted server takes
/// it up again under the same name, and one gone for good is collected once it has expired.
/// </summary>
internal sealed partial class IdentityLeaseController(Func<Kubernetes> loopback, string id, string hostname, ApiServerLeaseOptions options, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly string _holder = $"{id}_{Guid.NewGuid()}";
    private PeriodicRounds? _rounds;
    private V1Lease? _latest;

    /// <summary>The Lease's name.</summary>
    public string LeaseName => id;

    /// <summary>Takes the Lease up (a failure is logged), then renews it in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken) =>
        _rounds = await PeriodicRounds.StartAsync(options.IdentityLeaseRenewInterval, SyncAsync, e => LogRenewFailed(logger, id, e.Message), time, cancellationToken);

    /// <summary>Creates or renews the Lease once.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        Kubernetes client = loopback();
        if (_latest is not null)
        {
            // As the lease controller: the last written version is renewed without reading it first; on a conflict
            // (somebody else wrote it) the Lease is read again below.
            try
            {
                _latest = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(Renewed(_latest), id, "kube-system", cancellationToken: cancellationToken);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                _latest = null;
            }
        }

        V1Lease? existing;
        try
        {
            existing = await client.CoordinationV1.ReadNamespacedLeaseAsync(id, "kube-system", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            existing = null;
        }

        _latest = existing is null
            ? await client.CoordinationV1.CreateNamespacedLeaseAsync(Renewed(new V1Lease { Metadata = new V1ObjectMeta { Name = id, NamespaceProperty = "kube-system" }, Spec = new V1LeaseSpec() }), "kube-system", cancellationToken: cancellationToken)
            : await client.CoordinationV1.ReplaceNamespacedLeaseAsync(Renewed(existing), id, "kube-system", cancellationToken: cancellationToken);
    }

    /// <summary>The Lease with this server as holder, renewed now, and its labels asserted (labelAPIServerHeartbeatFunc).</summary>
    private V1Lease Renewed(V1Lease lease)
    {
        lease.Metadata.Labels ??= new Dictionary<string, string>();
        lease.Metadata.Labels[ApiServerIdentity.ComponentLabel] = ApiServerIdentity.KubeApiServer;
        lease.Metadata.Labels[ApiServerIdentity.HostnameLabel] = hostname;
        lease.Spec ??= new V1LeaseSpec();
        lease.Spec.HolderIdentity = _holder;
        lease.Spec.LeaseDurationSeconds = (int)options.IdentityLeaseDuration.TotalSeconds;
        lease.Spec.RenewTime = time.GetUtcNow().UtcDateTime;
        return lease;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_rounds is not null)
        {
            await _rounds.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the API server identity Lease kube-system/{Lease}: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string lease, string reason);
}
