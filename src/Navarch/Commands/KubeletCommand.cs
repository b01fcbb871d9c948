using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet;

namespace Navarch.Commands;

/// <summary><c>navarch kubelet</c> (and, until the proxy exists, <c>navarch agent</c>): the node agent against an API server.</summary>
internal static class KubeletCommand
{
    public static Command Create(string name, string description)
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Kubeconfig of the API server", Required = true };
        var nodeName = new Option<string?>("--node-name") { Description = "The Node name (default: the hostname)" };
        var dataDir = new Option<string>("--data-dir", "-d") { Description = "Folder to hold state", DefaultValueFactory = _ => "/var/lib/navarch" };
        var endpoint = new Option<string?>("--container-runtime-endpoint") { Description = "Use this CRI runtime (unix socket) instead of running containerd" };
        var podCidr = new Option<string>("--pod-cidr") { Description = "Pod CIDR while the Node has no spec.podCIDR", DefaultValueFactory = _ => "10.42.0.0/24" };
        var clusterDns = new Option<string>("--cluster-dns") { Description = "The cluster DNS server for pods", DefaultValueFactory = _ => "10.43.0.10" };
        var kubeletPort = new Option<int>("--port") { Description = "Port of the kubelet HTTPS API (logs, exec, attach, port-forward, stats)", DefaultValueFactory = _ => 10250 };
        var tlsCert = new Option<string?>("--tls-cert-file") { Description = "The kubelet API's serving certificate (PEM); self-signed when absent" };
        var tlsKey = new Option<string?>("--tls-private-key-file") { Description = "The key of --tls-cert-file (PEM)" };
        var clientCa = new Option<string?>("--client-ca-file") { Description = "CA (PEM) of the clients the kubelet API accepts (the API server's kubelet client certificate)" };
        var bridge = new Option<string>("--bridge-name") { Description = "The pod network bridge", DefaultValueFactory = _ => "navarch0" };
        var command = new Command(name, description) { kubeconfig, nodeName, dataDir, endpoint, podCidr, clusterDns, kubeletPort, tlsCert, tlsKey, clientCa, bridge };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using ILoggerFactory logging = Logging.Create();
            using var stop = new Shutdown(cancellationToken);
            using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(parse.GetValue(kubeconfig)!));
            var options = new KubeletOptions
            {
                NodeName = parse.GetValue(nodeName) is { Length: > 0 } n ? n : Environment.MachineName.ToLowerInvariant(),
                DataDir = parse.GetValue(dataDir)!,
                ContainerRuntimeEndpoint = parse.GetValue(endpoint),
                DefaultPodCidr = parse.GetValue(podCidr)!,
                ClusterDns = parse.GetValue(clusterDns)!,
                KubeletPort = parse.GetValue(kubeletPort),
                BridgeName = parse.GetValue(bridge)!,
                ServingCertificate = parse.GetValue(tlsCert) is { } cert ? X509Certificate2.CreateFromPemFile(cert, parse.GetValue(tlsKey)) : null,
                ClientCa = parse.GetValue(clientCa) is { } ca ? X509Certificate2.CreateFromPemFile(ca) : null,
            };
            await using var kubelet = new Kubelet.Kubelet(client, options, logging);
            await kubelet.StartAsync(stop.Token);
            await stop.WaitAsync();

            return 0;
        });
        return command;
    }
}
