using Microsoft.Extensions.Logging;

namespace Navarch.Proxy.Host;

/// <summary>
/// The kernel settings a node's service and pod traffic needs: forwarding, and bridged (pod-to-pod on one node)
/// traffic going through iptables so a pod reaching a Service whose endpoint is on the same bridge is DNATed.
/// Failures are logged, never fatal: a node without br_netfilter still serves most traffic.
/// </summary>
internal static partial class KernelSettings
{
    /// <summary>Applies the settings; returns the ones that failed.</summary>
    public static async Task<List<string>> ApplyAsync(CommandRunner runner, ILogger logger, CancellationToken cancellationToken)
    {
        var failed = new List<string>();
        await SysctlAsync(runner, "net.ipv4.ip_forward", failed, logger, cancellationToken).ConfigureAwait(false);
        if (!Directory.Exists("/proc/sys/net/bridge"))
        {
            // The module is global to the machine, not to a network namespace.
            CommandResult modprobe = await new CommandRunner().RunAsync("modprobe", ["br_netfilter"], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!modprobe.Success)
            {
                failed.Add("br_netfilter");
                LogFailed(logger, "modprobe br_netfilter", modprobe.Stderr.Trim());
            }
        }

        await SysctlAsync(runner, "net.bridge.bridge-nf-call-iptables", failed, logger, cancellationToken).ConfigureAwait(false);
        return failed;
    }

    private static async Task SysctlAsync(CommandRunner runner, string key, List<string> failed, ILogger logger, CancellationToken cancellationToken)
    {
        CommandResult result = await runner.RunAsync("sysctl", ["-w", $"{key}=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            failed.Add(key);
            LogFailed(logger, $"sysctl {key}=1", result.Stderr.Trim());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kernel setting {Setting} failed: {Reason}; Service traffic may not work on this node")]
    private static partial void LogFailed(ILogger logger, string setting, string reason);
}
