using System.Text.RegularExpressions;

namespace Navarch.Proxy.NetworkPolicy;

/// <summary>Settings of a node's network policy controller.</summary>
public sealed partial class NetworkPolicyOptions
{
    /// <summary>This node's name: the pods bound to it are the ones it isolates.</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>
    /// The nftables table (family inet) the controller owns and rewrites whole on each sync. Tests use their own so
    /// several controllers share one kernel.
    /// </summary>
    public string TableName
    {
        get;
        init => field = TableNamePattern().IsMatch(value) ? value : throw new ArgumentException($"a table name is a letter then up to 63 letters, digits, '-' or '_': {value}", nameof(value));
    } = "navarch-network-policy";

    /// <summary>Changes closer together than this are applied in one sync; the first change after a quiet spell is applied at once.</summary>
    public TimeSpan MinSyncInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The table is written at least this often even without changes, repairing what others changed.</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Run nft (and sysctl) inside this named network namespace (tests, benchmarks).</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>Load br_netfilter and set bridge-nf-call-iptables at start, so pod-to-pod traffic on one node's bridge is filtered.</summary>
    public bool ConfigureKernel { get; init; } = true;

    /// <summary>
    /// The table an agent uses beside a proxy whose chains start with <paramref name="proxyChainPrefix"/>: the default
    /// <c>NAVARCH-</c> gives <c>navarch-network-policy</c>, a test's own prefix its own table.
    /// </summary>
    public static string TableFor(string proxyChainPrefix)
    {
        ArgumentNullException.ThrowIfNull(proxyChainPrefix);
        string stem = new string(proxyChainPrefix.Where(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
        return (stem.Length > 0 && char.IsAsciiLetter(stem[0]) ? stem : "n" + stem) + "-network-policy";
    }

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9_-]{0,63}$")]
    private static partial Regex TableNamePattern();
}
