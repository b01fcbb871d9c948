using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Navarch.Agent;
using Navarch.Agent.LoadBalancer;
using Navarch.Kubelet;

namespace Navarch.Commands;

/// <summary><c>navarch kubelet</c> and <c>navarch agent</c> (the kubelet and the proxy): the node agent against an API server.</summary>
internal static class KubeletCommand
{
    public static Command Create(string name, string description, bool withProxy = false)
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig of the API server (or join with --server and --token)" };
        var join = new JoinOptions();
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
        Option<string?> nodeIp = NodeIpOption();
        var resources = new NodeResourceFlags();
        var privateRegistry = new PrivateRegistryFlag();
        var command = new Command(name, description) { kubeconfig, nodeName, nodeIp, dataDir, endpoint, podCidr, clusterDns, kubeletPort, tlsCert, tlsKey, clientCa, bridge };
        privateRegistry.AddTo(command);
        join.AddTo(command, kubeconfig);
        resources.AddTo(command);
        var proxyFlags = new ProxyCommand.AgentFlags();
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "The pod network of the whole cluster (the proxy masquerades traffic from outside it)", DefaultValueFactory = _ => "10.42.0.0/16" };
        if (withProxy)
        {
            proxyFlags.AddTo(command);
            command.Options.Add(clusterCidr);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            if (await privateRegistry.LoadAsync(parse, name) is not { } registries)
            {
                return 1;
            }

            using ILoggerFactory logging = Logging.Create();
            using var stop = new Shutdown(cancellationToken);
            string node = parse.GetValue(nodeName) is { Length: > 0 } n ? n : Environment.MachineName.ToLowerInvariant();
            string? given = parse.GetValue(kubeconfig) is { Length: > 0 } k ? k : null;
            string? config;

            // A joining agent reaches the servers through its load balancer on loopback (k3s's 127.0.0.1:6444).
            AgentLoadBalancer? balancer;
            try
            {
                balancer = given is null ? join.StartLoadBalancer(parse, parse.GetValue(dataDir)!, logging) : null;
            }
            catch (IOException e) when (AddressInUse.Is(e))
            {
                return await AddressInUse.ReportAsync(parse.CommandResult.Command.Name, e);
            }

            await using AgentLoadBalancer? _ = balancer;
            try
            {
                config = given ?? await join.JoinAsync(parse, node, parse.GetValue(dataDir)!, balancer!, logging, stop.Token);
            }
            catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
            {
                // Asked to stop while still joining (the server not up yet): a clean stop.
                return 0;
            }

            if (config is null)
            {
                return 1;
            }

            // A joined agent's proxy has credentials of its own (system:kube-proxy), as k3s's; a given kubeconfig serves both.
            string proxyConfig = given ?? Join.AgentJoin.KubeProxyKubeconfigIn(parse.GetValue(dataDir)!);

            // A joined agent's client presents its current kubelet client certificate at each new connection, so a
            // certificate renewed through the CSR API is in use without a restart.
            k8s.KubernetesClientConfiguration clientConfig = Through(balancer, k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(config));
            KubeletCertificates? rotating = null;
            if (given is null)
            {
                Navarch.Client.Certificates.RotatingClientCertificate.Use(clientConfig, () => rotating?.Client);
            }

            using var client = new k8s.Kubernetes(clientConfig);
            using k8s.Kubernetes? proxyClient = withProxy && proxyConfig != config ? new k8s.Kubernetes(Through(balancer, k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(proxyConfig))) : null;

            // With the cluster CA known, the balancer checks each server's /readyz rather than only its port.
            using ReadyzHealthCheck? readyz = balancer is null ? null : new ReadyzHealthCheck(Path.Combine(Path.GetFullPath(parse.GetValue(dataDir)!), "agent", "server-ca.crt"));
            if (readyz is not null)
            {
                balancer!.SetHealthCheck(readyz.CheckAsync);
            }

            // The balancer learns the other servers from the kubernetes endpoints (read as system:kube-proxy, which may list
            // them), and the kubelet starts once a server answers.
            using var learnerClient = balancer is null ? null : new k8s.Kubernetes(Through(balancer, k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(Join.AgentJoin.KubeProxyKubeconfigIn(parse.GetValue(dataDir)!))));
            Task learning = balancer is null ? Task.CompletedTask : Task.Run(() => new KubernetesEndpointsLearner(learnerClient!, balancer, logging.CreateLogger<KubernetesEndpointsLearner>()).RunAsync(stop.Token), CancellationToken.None);
            try
            {
                await ApiServerReadiness.WaitAsync(client, logging.CreateLogger<AgentLoadBalancer>(), cancellationToken: stop.Token);
            }
            catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
            {
                return 0;
            }

            // A joined agent renews its kubelet certificates through the CSR API.
            await using KubeletCertificates? certificates = given is null
                ? KubeletCertificates.ForJoinedAgent(client, Path.Combine(Path.GetFullPath(parse.GetValue(dataDir)!), "agent"), node, ParseNodeIp(parse.GetValue(nodeIp)) ?? Kubelet.Node.HostInfoAccess.InternalIp, logging)
                : null;
            rotating = certificates;
            certificates?.Start();
            await using var agent = new AgentRuntime(client, proxyClient ?? client, Options(parse, node, certificates, registries), logging);
            try
            {
                await agent.StartAsync(stop.Token);
            }
            catch (Exception) when (stop.Token.IsCancellationRequested)
            {
                // Asked to stop while starting (a cancelled CRI call surfaces as an RpcException): a clean stop.
                return 0;
            }
            catch (IOException e) when (AddressInUse.Is(e))
            {
                return await AddressInUse.ReportAsync(parse.CommandResult.Command.Name, e);
            }

            SystemdNotify.Ready($"node {node} registered");
            await stop.WaitAsync();
            SystemdNotify.Stopping();
            await agent.StopAsync();
            await learning;
            return 0;
        });

        AgentOptions Options(ParseResult parse, string node, KubeletCertificates? certificates, Navarch.Kubelet.Containerd.Registries.PrivateRegistries registries)
        {
            // A joined agent was given a serving certificate signed by the cluster CA (which also signs the API server's client).
            string agentDir = Path.Combine(Path.GetFullPath(parse.GetValue(dataDir)!), "agent");
            return new AgentOptions
            {
                Kubelet = new KubeletOptions
                {
                    NodeName = node,
                    NodeIp = ParseNodeIp(parse.GetValue(nodeIp)),
                    KubeReserved = resources.KubeReserved(parse),
                    SystemReserved = resources.SystemReserved(parse),
                    EvictionHard = resources.EvictionHard(parse),
                    DataDir = parse.GetValue(dataDir)!,
                    ContainerRuntimeEndpoint = parse.GetValue(endpoint),
                    DefaultPodCidr = parse.GetValue(podCidr)!,
                    ClusterDns = parse.GetValue(clusterDns)!,
                    KubeletPort = parse.GetValue(kubeletPort),
                    BridgeName = parse.GetValue(bridge)!,
                    Registries = registries,
                    ServingCertificate = parse.GetValue(tlsCert) is { } cert ? X509Certificate2.CreateFromPemFile(cert, parse.GetValue(tlsKey))
                        : File.Exists(Path.Combine(agentDir, "serving-kubelet.crt")) ? X509Certificate2.CreateFromPemFile(Path.Combine(agentDir, "serving-kubelet.crt"), Path.Combine(agentDir, "serving-kubelet.key"))
                        : null,
                    CurrentServingCertificate = certificates is null ? null : () => certificates.Serving,
                    ClientCa = parse.GetValue(clientCa) is { } ca ? X509Certificate2.CreateFromPem(File.ReadAllText(ca))
                        : File.Exists(Path.Combine(agentDir, "client-ca.crt")) ? X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(agentDir, "client-ca.crt")))
                        : null,
                },
                Proxy = withProxy ? proxyFlags.Options(parse, node, parse.GetValue(clusterCidr)!) : null,
                NetworkPolicy = withProxy ? proxyFlags.NetworkPolicyOptions(parse, node) : null,
                NetworkPolicyDisabled = withProxy && proxyFlags.NetworkPolicyDisabled(parse),
            };
        }

        return command;
    }

    /// <summary>A joined agent's client configuration pointed at its load balancer (the kubeconfig names the server it joined).</summary>
    private static k8s.KubernetesClientConfiguration Through(AgentLoadBalancer? balancer, k8s.KubernetesClientConfiguration config)
    {
        if (balancer is not null)
        {
            config.Host = balancer.Url;
        }

        return config;
    }

    /// <summary><c>--node-ip</c> (the kubelet's flag), refused at parse time unless an IPv4 address.</summary>
    public static Option<string?> NodeIpOption()
    {
        var option = new Option<string?>("--node-ip") { Description = "The IPv4 address the Node reports as InternalIP (default: the address of the default route's interface)" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { Length: > 0 } value && ParseNodeIp(value) is null)
            {
                result.AddError($"--node-ip {value} is not an IPv4 address");
            }
        });
        return option;
    }

    /// <summary>A <c>--node-ip</c> value as a normalised IPv4 address, or null when absent or not one.</summary>
    public static string? ParseNodeIp(string? value) =>
        System.Net.IPAddress.TryParse(value, out System.Net.IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? ip.ToString() : null;
}
