namespace Navarch.E2E.Tests;

/// <summary>
/// <see cref="NetnsHaCluster"/>'s three servers with short identity Leases (20 s, renewed every 2 s, as kube-apiserver's
/// integration tests shorten them), so a stopped server's Lease expires and is collected within a test's time.
/// </summary>
public sealed class NetnsHaShortLeaseCluster : NetnsCluster
{
    /// <summary>The servers' --identity-lease-duration-seconds.</summary>
    public const int IdentityLeaseSeconds = 20;

    public NetnsHaShortLeaseCluster()
        : base(3, "--identity-lease-duration-seconds", $"{IdentityLeaseSeconds}", "--identity-lease-renew-interval-seconds", "2")
    {
    }
}
