using System.CommandLine;
using Microsoft.Extensions.Logging;
using Navarch.Dns;

namespace Navarch.Commands;

/// <summary><c>navarch dns</c>: the cluster DNS server alone, against an API server (what a CoreDNS deployment is).</summary>
internal static class DnsCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig of the API server (lists and watches Services, EndpointSlices and Nodes; publishes kube-dns)", Required = true };
        var bind = new Option<string>("--cluster-dns-bind") { Description = "IP[:port] to listen on, UDP and TCP: an address the kube-dns ClusterIP is routed to (only the cluster's pods and nodes and this host are answered)", Required = true };
        var clusterDns = new Option<string>("--cluster-dns") { Description = "ClusterIP of the kube-dns Service published for this server", DefaultValueFactory = _ => "10.43.0.10" };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "The cluster domain", DefaultValueFactory = _ => "cluster.local" };
        var upstream = new Option<string>("--dns-upstream") { Description = "Resolvers for names outside the cluster domain: IP[:port],... or a resolv.conf path", DefaultValueFactory = _ => "/etc/resolv.conf" };
        var nodeName = new Option<string?>("--node-name") { Description = "The Node the published endpoint is on" };
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "The pod network, whose clients are answered", DefaultValueFactory = _ => "10.42.0.0/16" };
        var serviceCidr = new Option<string>("--service-cidr") { Description = "The Service network, whose clients are answered", DefaultValueFactory = _ => "10.43.0.0/16" };
        Option<int> metricsPort = ComponentMetricsFlags.DnsMetricsPortOption("--metrics-port");
        var command = new Command("dns", "Run the cluster DNS server and publish it as the kube-system/kube-dns Service.") { kubeconfig, bind, clusterDns, clusterDomain, upstream, nodeName, clusterCidr, serviceCidr, metricsPort };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ILoggerFactory logging = Logging.Create();
            using var stop = new Shutdown(cancellationToken);
            using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(parse.GetValue(kubeconfig)!));
            ClusterDnsServer? dns = await ClusterDnsHost.StartAsync(client, new ClusterDnsHostOptions
            {
                Bind = parse.GetValue(bind),
                NodeName = parse.GetValue(nodeName),
                ClusterIp = parse.GetValue(clusterDns)!,
                Domain = parse.GetValue(clusterDomain)!,
                Upstreams = parse.GetValue(upstream)!,
                ClusterNetworks = [parse.GetValue(clusterCidr)!, parse.GetValue(serviceCidr)!],
                MetricsPort = ComponentMetricsFlags.Served(parse.GetValue(metricsPort)),
            }, logging, stop.Token);
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
