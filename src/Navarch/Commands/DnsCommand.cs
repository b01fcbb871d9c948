using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Navarch.Commands;

/// <summary><c>navarch dns</c>: the cluster DNS server alone, against an API server (what a CoreDNS deployment is).</summary>
internal static class DnsCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig of the API server", Required = true };
        var bind = new Option<string>("--cluster-dns-bind") { Description = "IP[:port] to listen on, UDP and TCP", Required = true };
        var clusterDns = new Option<string>("--cluster-dns") { Description = "ClusterIP of the kube-dns Service published for this server", DefaultValueFactory = _ => "10.43.0.10" };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "The cluster domain", DefaultValueFactory = _ => "cluster.local" };
        var upstream = new Option<string>("--dns-upstream") { Description = "Resolvers for names outside the cluster domain: IP[:port],... or a resolv.conf path", DefaultValueFactory = _ => "/etc/resolv.conf" };
        var nodeName = new Option<string?>("--node-name") { Description = "The Node the published endpoint is on" };
        var command = new Command("dns", "Run the cluster DNS server and publish it as the kube-system/kube-dns Service.") { kubeconfig, bind, clusterDns, clusterDomain, upstream, nodeName };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ILoggerFactory logging = Logging.Create();
            using var stop = new Shutdown(cancellationToken);
            using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(parse.GetValue(kubeconfig)!));
            Navarch.Dns.ClusterDnsServer? dns = await Navarch.Dns.ClusterDnsHost.StartAsync(
                client, parse.GetValue(bind), parse.GetValue(nodeName), parse.GetValue(clusterDns)!, parse.GetValue(clusterDomain)!, parse.GetValue(upstream)!, logging, stop.Token);
            if (dns is null)
            {
                return 1;
            }

            await stop.WaitAsync();
            await dns.DisposeAsync();
            return 0;
        });
        return command;
    }
}
