using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer;
using Navarch.ApiServer.Authorization;

namespace Navarch.Commands;

/// <summary><c>navarch server</c> and <c>navarch apiserver</c>: the control plane on this machine.</summary>
internal static partial class ServerCommand
{
    public static Command Create(string name, string description, bool withControllers)
    {
        var dataDir = new Option<string>("--data-dir", "-d") { Description = "Folder to hold state", DefaultValueFactory = _ => "/var/lib/navarch" };
        var port = new Option<int>("--https-listen-port") { Description = "HTTPS listen port", DefaultValueFactory = _ => 6443 };
        var bind = new Option<string>("--bind-address") { Description = "Address to listen on", DefaultValueFactory = _ => "0.0.0.0" };
        var writeKubeconfig = new Option<string?>("--write-kubeconfig", "-o") { Description = "Write an admin kubeconfig to this path" };
        var kubeconfigMode = new Option<string?>("--write-kubeconfig-mode") { Description = "File mode of the written kubeconfig, e.g. 600" };
        var datastore = new Option<string>("--datastore-endpoint") { Description = "Empty for the embedded SQLite store, or etcd client URLs (http://host:2379[,...])", DefaultValueFactory = _ => "" };
        var tokenFile = new Option<string?>("--token-auth-file") { Description = "Static token file (CSV: token,user,uid,\"group1,group2\")" };
        var authorizationMode = new Option<string>("--authorization-mode") { Description = "Authorizers in order, comma-separated: Node (a kubelet reaches only its own node's objects), RBAC (Roles, ClusterRoles and their bindings; pods get their service account's token), AlwaysAllow (every authenticated user may do anything)", DefaultValueFactory = _ => AuthorizationModes.Default };
        authorizationMode.Validators.Add(result =>
        {
            try
            {
                AuthorizationModes.Parse(result.GetValueOrDefault<string>() ?? "");
            }
            catch (InvalidDataException e)
            {
                result.AddError(e.Message);
            }
        });
        var serviceCidr = new Option<string>("--service-cidr") { Description = "IPv4 range for Service cluster IPs", DefaultValueFactory = _ => "10.43.0.0/16" };
        var disableAgent = new Option<bool>("--disable-agent") { Description = "Do not run a node agent (kubelet with its own containerd) on this machine" };
        var nodeName = new Option<string?>("--node-name") { Description = "This machine's Node name (default: the hostname)" };
        Option<string?> nodeIp = KubeletCommand.NodeIpOption();
        var resources = new NodeResourceFlags();
        var token = new Option<string?>("--token", "-t") { Description = "The join token agents use (a K10 token or its secret); default: kept in <data-dir>/server/token, generated on first start" };
        var clusterDns = new Option<string>("--cluster-dns") { Description = "ClusterIP of the kube-dns Service, the pods' nameserver", DefaultValueFactory = _ => "10.43.0.10" };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "The cluster domain", DefaultValueFactory = _ => "cluster.local" };
        var clusterDnsBind = new Option<string?>("--cluster-dns-bind") { Description = "IP[:port] the cluster DNS server listens on, UDP and TCP (default: this node's InternalIP:53; none with --disable-agent)" };
        var dnsUpstream = new Option<string>("--dns-upstream") { Description = "Resolvers for names outside the cluster domain: IP[:port],... or a resolv.conf path", DefaultValueFactory = _ => "/etc/resolv.conf" };
        var kubeletPort = new Option<int>("--kubelet-port") { Description = "Port of the agent's kubelet HTTPS API (logs, exec, port-forward)", DefaultValueFactory = _ => 10250 };
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "IPv4 range nodes' pod CIDRs are carved from", DefaultValueFactory = _ => "10.42.0.0/16" };
        Option<string> nodeMonitorGracePeriod = Token.GoDuration.Option("--node-monitor-grace-period", "How long a node may go without a heartbeat before it is marked not ready (and its pods evicted after their tolerations)", "40s");
        var schedulerConfig = new Option<string?>("--scheduler-config") { Description = "A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) YAML file: the scheduler's profiles" };
        var bridge = new Option<string>("--bridge-name") { Description = "The agent's pod network bridge", DefaultValueFactory = _ => "navarch0" };

        var command = new Command(name, description) { dataDir, port, bind, writeKubeconfig, kubeconfigMode, datastore, tokenFile, authorizationMode, serviceCidr, disableAgent, nodeName, nodeIp, token, clusterDns, clusterDomain, clusterDnsBind, dnsUpstream, kubeletPort, clusterCidr, nodeMonitorGracePeriod, schedulerConfig, bridge };
        var proxyFlags = new ProxyCommand.AgentFlags();
        proxyFlags.AddTo(command);
        resources.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (await SchedulerCommand.LoadConfigurationAsync(parse.GetValue(schedulerConfig), name) is not { } schedulerConfiguration)
            {
                return 1;
            }

            using ILoggerFactory logging = Logging.Create();
            var options = new ApiServerOptions
            {
                DataDir = parse.GetValue(dataDir)!,
                Port = parse.GetValue(port),
                BindAddress = IPAddress.Parse(parse.GetValue(bind)!),
                WriteKubeconfig = parse.GetValue(writeKubeconfig),
                WriteKubeconfigMode = parse.GetValue(kubeconfigMode),
                DatastoreEndpoint = parse.GetValue(datastore)!,
                TokenAuthFile = parse.GetValue(tokenFile),
                AuthorizationMode = parse.GetValue(authorizationMode)!,
                ServiceCidr = parse.GetValue(serviceCidr)!,
                Token = parse.GetValue(token),
            };
            using var stop = new Shutdown(cancellationToken);
            await using var server = new ApiServer.ApiServer(options, logging);
            try
            {
                await server.StartAsync(stop.Token);
            }
            catch (InvalidDataException e)
            {
                // A setting the user can fix (e.g. a --token made for another cluster's CA).
                await Console.Error.WriteLineAsync($"navarch {name}: {e.Message}");
                return 1;
            }

            using var manifestsClient = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(server.AdminKubeconfigPath));
            Task manifests = new Manifests.ManifestApplier(manifestsClient, Path.Combine(options.DataDir, "server", "manifests"), logging.CreateLogger<Manifests.ManifestApplier>()).RunAsync(stop.Token);
            // The controllers reach the cluster through the API like any client (hub and spoke), even in-process.
            k8s.KubernetesClientConfiguration clientConfig = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(server.AdminKubeconfigPath);
            using k8s.Kubernetes? client = withControllers ? new k8s.Kubernetes(clientConfig) : null;
            Task controllers = client is null
                ? Task.CompletedTask
                : new Navarch.Controllers.ControllerManager(client, logging, options: new Navarch.Controllers.ControllerManagerOptions
                {
                    ClusterCidr = parse.GetValue(clusterCidr)!,
                    NodeMonitorGracePeriod = Token.GoDuration.Parse(parse.GetValue(nodeMonitorGracePeriod)!),
                    RootCaBundle = Navarch.Controllers.RootCaPublisher.RootCaPublisherController.BundleOf(clientConfig),
                }).RunAsync(leaderElect: false, Environment.MachineName, stop.Token);
            Task scheduler = client is null
                ? Task.CompletedTask
                : new Navarch.Scheduler.KubeScheduler(client, logging, options: new Navarch.Scheduler.SchedulerOptions { Configuration = schedulerConfiguration }).RunAsync(leaderElect: false, Environment.MachineName, stop.Token);
            string thisNode = parse.GetValue(nodeName) is { Length: > 0 } n ? n : Environment.MachineName.ToLowerInvariant();
            using Server.AgentClients? agentClients = client is null || parse.GetValue(disableAgent) ? null : new Server.AgentClients(server, thisNode);
            // Like k3s, a server is also a node unless told otherwise; the agent is a client of the API like any other.
            Navarch.Kubelet.Kubelet? agent = agentClients is null
                ? null
                : new Navarch.Kubelet.Kubelet(agentClients.Kubelet, new Navarch.Kubelet.KubeletOptions
                {
                    NodeName = thisNode,
                    NodeIp = KubeletCommand.ParseNodeIp(parse.GetValue(nodeIp)),
                    KubeReserved = resources.KubeReserved(parse),
                    SystemReserved = resources.SystemReserved(parse),
                    EvictionHard = resources.EvictionHard(parse),
                    DataDir = options.DataDir,
                    ClusterDns = parse.GetValue(clusterDns)!,
                    ClusterDomain = parse.GetValue(clusterDomain)!,
                    KubeletPort = parse.GetValue(kubeletPort),
                    BridgeName = parse.GetValue(bridge)!,
                    // The in-process agent's kubelet API is signed by the cluster CA and serves only the API server.
                    ServingCertificate = server.Pki.IssueServing(thisNode, [thisNode, "localhost"], [.. System.Net.Dns.GetHostAddresses(System.Net.Dns.GetHostName()), IPAddress.Loopback]),
                    ClientCa = X509CertificateLoader.LoadCertificate(server.Pki.Ca.RawData),
                }, logging);
            Task proxy = Task.CompletedTask;
            Navarch.Dns.ClusterDnsServer? dns = null;
            try
            {
                if (agent is not null)
                {
                    await agent.StartAsync(stop.Token);
                    await Server.ControlPlaneLabels.ApplyAsync(client!, thisNode, logging.CreateLogger("Navarch.Server"), stop.Token);
                    proxy = proxyFlags.RunAsync(parse, agentClients!.Proxy, agentClients.Kubelet, thisNode, parse.GetValue(clusterCidr)!, logging, stop.Token);
                }

                // Cluster DNS in-process, published as kube-system/kube-dns for the Service proxy to route to (as CoreDNS is).
                dns = client is null ? null : await Navarch.Dns.ClusterDnsHost.StartAsync(
                    client, parse.GetValue(clusterDnsBind), agent is null ? null : thisNode, parse.GetValue(clusterDns)!, parse.GetValue(clusterDomain)!, parse.GetValue(dnsUpstream)!, logging, stop.Token);

                // As kube-apiserver's endpoint reconciler: default/kubernetes points at this server, so pods reach it at 10.43.0.1:443.
                if (client is not null)
                {
                    await PublishKubernetesEndpointsAsync(client, options, KubeletCommand.ParseNodeIp(parse.GetValue(nodeIp)), agent is null ? null : thisNode, logging.CreateLogger("Navarch.KubernetesService"), stop.Token);
                }

                await stop.WaitAsync();
            }
            catch (Exception) when (stop.Token.IsCancellationRequested)
            {
                // Asked to stop while starting (a cancelled call, or a CRI call cancelled as an RpcException): stop cleanly.
            }
            finally
            {
                // Whatever happened above, the agent stops (its containerd with it) while the API server it reports to is
                // still up, so no containerd outlives this process.
                if (dns is not null)
                {
                    await dns.DisposeAsync();
                }

                try
                {
                    await proxy;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogProxyFailed(logging.CreateLogger("Navarch.Proxy"), e.Message);
                }

                if (agent is not null)
                {
                    await agent.DisposeAsync();
                }
            }

            await manifests;
            await controllers;
            await scheduler;
            await server.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    private static async Task PublishKubernetesEndpointsAsync(k8s.Kubernetes client, ApiServerOptions options, string? nodeIp, string? nodeName, ILogger logger, CancellationToken cancellationToken)
    {
        IPAddress advertise = options.BindAddress.Equals(IPAddress.Any) || options.BindAddress.Equals(IPAddress.IPv6Any)
            ? IPAddress.Parse(nodeIp ?? Navarch.Kubelet.Node.HostInfoAccess.InternalIp)
            : options.BindAddress;
        if (IPAddress.IsLoopback(advertise))
        {
            // A pod cannot reach the server's loopback, and Endpoints may not hold one.
            LogKubernetesEndpointsFailed(logger, $"the API server listens on {advertise} only");
            return;
        }

        try
        {
            await new Navarch.Dns.Publishing.SelectorlessServicePublisher(client, logger).PublishAsync(
                "default", "kubernetes", clusterIp: null, new Dictionary<string, string>(), [new Navarch.Dns.Publishing.ServicePortMapping("https", "TCP", 443, options.Port)],
                [advertise], nodeName, cancellationToken);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            LogKubernetesEndpointsFailed(logger, e.Response.Content);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The Service proxy stopped with an error: {Reason}")]
    private static partial void LogProxyFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish the endpoints of default/kubernetes: {Reason}")]
    private static partial void LogKubernetesEndpointsFailed(ILogger logger, string reason);
}
