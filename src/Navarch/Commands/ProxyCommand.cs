using System.CommandLine;
using Microsoft.Extensions.Logging;
using Navarch.Proxy;
using Navarch.Proxy.NetworkPolicy;

namespace Navarch.Commands;

/// <summary><c>navarch proxy</c>: the node's Service proxy (iptables) and pod routes alone; also started by <c>agent</c> and <c>server</c>.</summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig of the API server" };
        var hostname = new Option<string?>("--hostname-override") { Description = "This node's name (default: the hostname)" };
        var cleanup = new Option<bool>("--cleanup") { Description = "Remove every iptables rule and chain the proxy made, then exit" };
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "The pod network", DefaultValueFactory = _ => "10.42.0.0/16" };
        var prefix = new Option<string>("--chain-prefix") { Description = "Prefix of the iptables chains the proxy owns (at most 10 characters)", DefaultValueFactory = _ => "NAVARCH-" };
        Option<string> metricsBindAddress = MetricsBindAddress.Create("--metrics-bind-address");
        var command = new Command("proxy", "Run the Service proxy (iptables) and the routes to other nodes' pod networks.") { kubeconfig, hostname, cleanup, clusterCidr, prefix, metricsBindAddress };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ProxyOptions
            {
                NodeName = parse.GetValue(hostname) is { Length: > 0 } n ? n : Environment.MachineName.ToLowerInvariant(),
                ClusterCidr = parse.GetValue(clusterCidr)!,
                ChainPrefix = parse.GetValue(prefix)!,
                MetricsBindAddress = MetricsBindAddress.Parse(parse.GetValue(metricsBindAddress)!),
            };
            if (parse.GetValue(cleanup))
            {
                await CleanupAsync(options, cancellationToken);
                return 0;
            }

            if (parse.GetValue(kubeconfig) is not { Length: > 0 } path)
            {
                await Console.Error.WriteLineAsync("navarch proxy: --kubeconfig is required (unless --cleanup)");
                return 1;
            }

            using ILoggerFactory logging = Logging.Create();
            using var stop = new Shutdown(cancellationToken);
            using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
            await new ProxyServer(client, options, logging).RunAsync(stop.Token);
            return 0;
        });
        return command;
    }

    /// <summary>Removes the proxy's chains and, beside them, the agent's network policy table; says what went.</summary>
    public static async Task CleanupAsync(ProxyOptions options, CancellationToken cancellationToken)
    {
        int removed = await ProxyServer.CleanupAsync(options, cancellationToken);
        await Console.Out.WriteLineAsync($"removed {removed} chains of {options.ChainPrefix}*");
        string table = NetworkPolicyOptions.TableFor(options.ChainPrefix);
        if (await NetworkPolicyController.CleanupAsync(new NetworkPolicyOptions { TableName = table }, cancellationToken))
        {
            await Console.Out.WriteLineAsync($"removed nftables table inet {table}");
        }
    }

    /// <summary>
    /// The agent's flags that shape its proxy and its network policy controller: <c>--disable-kube-proxy</c> and
    /// <c>--disable-network-policy</c> (as k3s), <c>--proxy-chain-prefix</c> (which also names the policy table) and
    /// <c>--kube-proxy-metrics-bind-address</c> (kube-proxy's --metrics-bind-address, which k3s passes through
    /// <c>--kube-proxy-arg=metrics-bind-address=...</c>).
    /// </summary>
    public sealed class AgentFlags
    {
        private readonly Option<bool> _disable = new("--disable-kube-proxy") { Description = "Do not run the Service proxy on this node" };
        private readonly Option<bool> _disablePolicies = new("--disable-network-policy") { Description = "Do not enforce NetworkPolicies on this node" };
        private readonly Option<string> _prefix = new("--proxy-chain-prefix") { Description = "Prefix of the iptables chains the proxy owns (at most 10 characters)", DefaultValueFactory = _ => "NAVARCH-" };
        private readonly Option<string> _metricsBindAddress = MetricsBindAddress.Create("--kube-proxy-metrics-bind-address");

        public void AddTo(Command command)
        {
            command.Options.Add(_disable);
            command.Options.Add(_disablePolicies);
            command.Options.Add(_prefix);
            command.Options.Add(_metricsBindAddress);
        }

        /// <summary>The agent's proxy settings, or null when disabled.</summary>
        public ProxyOptions? Options(ParseResult parse, string nodeName, string clusterCidr) =>
            parse.GetValue(_disable) ? null : new ProxyOptions { NodeName = nodeName, ClusterCidr = clusterCidr, ChainPrefix = parse.GetValue(_prefix)!, MetricsBindAddress = MetricsBindAddress.Parse(parse.GetValue(_metricsBindAddress)!) };

        /// <summary>The port of <c>--kube-proxy-metrics-bind-address</c>, null when it serves none.</summary>
        public int? MetricsPort(ParseResult parse) => MetricsBindAddress.Parse(parse.GetValue(_metricsBindAddress)!)?.Port;

        /// <summary>The agent's network policy controller settings (its table named after the chain prefix).</summary>
        public NetworkPolicyOptions NetworkPolicyOptions(ParseResult parse, string nodeName) =>
            new() { NodeName = nodeName, TableName = Navarch.Proxy.NetworkPolicy.NetworkPolicyOptions.TableFor(parse.GetValue(_prefix)!) };

        /// <summary>Whether <c>--disable-network-policy</c> was given.</summary>
        public bool NetworkPolicyDisabled(ParseResult parse) => parse.GetValue(_disablePolicies);
    }
}
