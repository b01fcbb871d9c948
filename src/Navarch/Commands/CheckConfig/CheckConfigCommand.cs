using System.CommandLine;

namespace Navarch.Commands.CheckConfig;

/// <summary><c>navarch check-config</c>: one pass/warn/fail line per host prerequisite; non-zero exit when a required one fails.</summary>
internal static class CheckConfigCommand
{
    public static Command Create()
    {
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "The cluster's pod network, which no other route may reach", DefaultValueFactory = _ => "10.42.0.0/16" };
        var serviceCidr = new Option<string>("--service-cidr") { Description = "The cluster's ClusterIP range, which no route may reach", DefaultValueFactory = _ => "10.43.0.0/16" };
        var bridge = new Option<string>("--bridge-name") { Description = "The pod bridge (its routes are the node's own)", DefaultValueFactory = _ => "navarch0" };
        var command = new Command("check-config", "Check this host's prerequisites (cgroups, iptables and its flavour, forwarding, br_netfilter, nftables, containerd, runc, CNI plugins, ip, mount, conntrack, ctr, modprobe, kubectl, swap, routes overlapping the cluster and Service CIDRs); exit 1 when a required one fails.")
        {
            clusterCidr, serviceCidr, bridge,
        };
        command.SetAction(parse =>
        {
            if (!System.Net.IPNetwork.TryParse(parse.GetValue(clusterCidr), out System.Net.IPNetwork cluster) || !System.Net.IPNetwork.TryParse(parse.GetValue(serviceCidr), out System.Net.IPNetwork service))
            {
                Console.Error.WriteLine($"navarch check-config: --cluster-cidr {parse.GetValue(clusterCidr)} and --service-cidr {parse.GetValue(serviceCidr)} must be CIDRs (e.g. 10.42.0.0/16)");
                return 1;
            }

            IReadOnlyList<CheckOutcome> outcomes = HostChecks.ForThisHost(cluster, service, parse.GetValue(bridge)!).Run();
            foreach (CheckOutcome outcome in outcomes)
            {
                Console.Out.WriteLine(outcome.ToString());
            }

            int failed = outcomes.Count(o => o.Status == CheckStatus.Fail);
            Console.Out.WriteLine(failed == 0 ? "STATUS: pass" : $"STATUS: {failed} required check(s) failed");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
