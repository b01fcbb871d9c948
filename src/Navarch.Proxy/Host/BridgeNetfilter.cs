using Microsoft.Extensions.Logging;

namespace Navarch.Proxy.Host;

/// <summary>
/// Pod-to-pod traffic on one node crosses the CNI bridge without being routed; br_netfilter with
/// bridge-nf-call-iptables passes it to the IPv4 netfilter hooks (iptables and nftables alike), so network policies
/// see it. Failures are logged: policies then hold between nodes but not between pods of one node.
/// </summary>
internal static partial class BridgeNetfilter
{
    /// <summary>Loads br_netfilter when needed and sets bridge-nf-call-iptables; returns whether both held.</summary>
    public static async Task<bool> EnableAsync(CommandRunner runner, ILogger logger, CancellationToken cancellationToken)
    {
        if (!Directory.Exists("/proc/sys/net/bridge"))
        {
            // The module is global to the machine, not to a network namespace.
            CommandResult modprobe = await new CommandRunner().RunAsync("modprobe", ["br_netfilter"], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!modprobe.Success)
            {
                LogFailed(logger, "modprobe br_netfilter", modprobe.Stderr.Trim());
                return false;
            }
        }

        CommandResult sysctl = await runner.RunAsync("sysctl", ["-w", "net.bridge.bridge-nf-call-iptables=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!sysctl.Success)
        {
            LogFailed(logger, "sysctl net.bridge.bridge-nf-call-iptables=1", sysctl.Stderr.Trim());
        }

        return sysctl.Success;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kernel setting {Setting} failed: {Reason}; network policies will not apply between pods of this node")]
    private static partial void LogFailed(ILogger logger, string setting, string reason);
}
