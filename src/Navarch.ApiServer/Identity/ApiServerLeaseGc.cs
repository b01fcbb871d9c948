using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client;

namespace Navarch.ApiServer.Identity;

/// <summary>
/// kube-apiserver's apiserverleasegc controller, run by every API server: at start and then every
/// <see cref="ApiServerLeaseOptions.IdentityLeaseGcPeriod"/> it deletes the identity Leases in <c>kube-system</c>
/// (those labelled <c>apiserver.kubernetes.io/identity=kube-apiserver</c>) whose renewTime plus leaseDurationSeconds has
/// passed, or that lack either — the Leases of servers gone for good. Each is read again just before its delete, so a
/// Lease renewed meanwhile stays; one already deleted by a peer's collector is not an error.
/// </summary>
internal sealed partial class ApiServerLeaseGc(Func<Kubernetes> loopback, ApiServerLeaseOptions options, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private PeriodicRounds? _rounds;

    /// <summary>Collects once (a failure is logged), then every period in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken) =>
        _rounds = await PeriodicRounds.StartAsync(options.IdentityLeaseGcPeriod, CollectAsync, e => LogFailed(logger, e.Message), time, cancellationToken);

    /// <summary>Deletes the expired identity Leases once; returns their names.</summary>
    public async Task<IReadOnlyList<string>> CollectAsync(CancellationToken cancellationToken)
    {
        Kubernetes client = loopback();
        var deleted = new List<string>();
        V1LeaseList leases = await client.CoordinationV1.ListNamespacedLeaseAsync("kube-system", labelSelector: ApiServerIdentity.LeaseSelector, cancellationToken: cancellationToken);
        foreach (V1Lease listed in leases.Items.Where(Expired))
        {
            try
            {
                V1Lease lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(listed.Metadata.Name, "kube-system", cancellationToken: cancellationToken);
                if (!Expired(lease))
                {
                    continue;
                }

                // Preconditioned on what was read, so a renewal racing the delete wins.
                await client.CoordinationV1.DeleteNamespacedLeaseAsync(lease.Metadata.Name, "kube-system", new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = lease.Metadata.ResourceVersion } }, cancellationToken: cancellationToken);
                deleted.Add(lease.Metadata.Name);
                LogDeleted(logger, lease.Metadata.Name);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
                // Deleted by another server's collector, or renewed meanwhile.
            }
        }

        return deleted;
    }

    private bool Expired(V1Lease lease) =>
        lease.Spec?.RenewTime is not { } renewed || lease.Spec.LeaseDurationSeconds is not { } seconds
        || new DateTimeOffset(DateTime.SpecifyKind(renewed, DateTimeKind.Utc)).AddSeconds(seconds) < time.GetUtcNow();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_rounds is not null)
        {
            await _rounds.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the expired API server identity Lease kube-system/{Lease}")]
    private static partial void LogDeleted(ILogger logger, string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not collect expired API server identity Leases: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
