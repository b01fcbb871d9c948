namespace Navarch.ApiServer;

/// <summary>
/// The timings of the leases every API server keeps beside its peers: kube-apiserver's defaults (constants there, exposed
/// so that its integration tests can tune them — as here).
/// </summary>
public sealed record ApiServerLeaseOptions
{
    /// <summary>How often the endpoint reconciler refreshes this server's master lease and rewrites <c>default/kubernetes</c> (DefaultEndpointReconcilerInterval, 10 s).</summary>
    public TimeSpan EndpointReconcilerInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a master lease outlives its last refresh (DefaultEndpointReconcilerTTL, 15 s).</summary>
    public TimeSpan EndpointReconcilerTtl { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The identity Lease's <c>leaseDurationSeconds</c> (IdentityLeaseDurationSeconds, 3600).</summary>
    public TimeSpan IdentityLeaseDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often the identity Lease is renewed (IdentityLeaseRenewIntervalPeriod, 10 s).</summary>
    public TimeSpan IdentityLeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often expired identity Leases are looked for (IdentityLeaseGCPeriod, 3600 s).</summary>
    public TimeSpan IdentityLeaseGcPeriod { get; init; } = TimeSpan.FromHours(1);
}
