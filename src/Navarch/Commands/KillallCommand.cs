using System.CommandLine;
using Navarch.Kubelet.Node;
using Navarch.Proxy;

namespace Navarch.Commands;

/// <summary>
/// <c>navarch killall</c>, k3s's <c>k3s-killall.sh</c>: stops Navarch on this machine for one data dir and removes
/// what it left in the kernel — every container and shim, the mounts under the data dir, the pod network namespaces,
/// the pod bridge, the CNI leases, the proxy's chains and the network policy table. The data dir itself stays (a
/// server started again resumes the cluster, and its pods are made again).
/// </summary>
internal static class KillallCommand
{
    private const string DefaultDataDir = "/var/lib/navarch";

    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir", "-d") { Description = "The data dir of the server or agent to stop", DefaultValueFactory = _ => DefaultDataDir };
        var bridge = new Option<string>("--bridge-name") { Description = "Its pod network bridge", DefaultValueFactory = _ => "navarch0" };
        var prefix = new Option<string>("--proxy-chain-prefix") { Description = "Prefix of its proxy's iptables chains (also names its network policy table)", DefaultValueFactory = _ => "NAVARCH-" };
        var command = new Command("killall", "Stop Navarch on this machine and remove its containers, mounts, pod network namespaces, bridge and iptables/nftables state (the data dir stays).") { dataDir, bridge, prefix };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Environment.UserName != "root")
            {
                await Console.Error.WriteLineAsync("navarch killall: must run as root");
                return 1;
            }

            string dir = Path.GetFullPath(parse.GetValue(dataDir)!);
            var teardown = new NodeTeardown(dir, parse.GetValue(bridge)!, Console.Out) { IsDefaultDataDir = dir == DefaultDataDir, DataDirOf = ProcessDataDir.Of };
            await teardown.RunAsync(cancellationToken);
            await ProxyCommand.CleanupAsync(new ProxyOptions { ChainPrefix = parse.GetValue(prefix)! }, cancellationToken);
            return 0;
        });
        return command;
    }
}
