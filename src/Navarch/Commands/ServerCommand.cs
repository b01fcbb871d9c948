using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using Navarch.Agent;
using Navarch.ApiServer;
using Navarch.Controllers;
using Navarch.Kubelet;
using Navarch.Scheduler;
using Navarch.Scheduler.Config;
using Navarch.Server;
using Navarch.ApiServer.Authorization;

namespace Navarch.Commands;

/// <summary><c>navarch server</c> and <c>navarch apiserver</c>: the control plane on this machine.</summary>
internal static class ServerCommand
{
    public static Command Create(string name, string description, bool withControllers)
    {
        var dataDir = new Option<string>("--data-dir", "-d") { Description = "Folder to hold state", DefaultValueFactory = _ => "/var/lib/navarch" };
        var port = new Option<int>("--https-listen-port") { Description = "HTTPS listen port", DefaultValueFactory = _ => 6443 };
        var bind = new Option<string>("--bind-address") { Description = "Address to listen on", DefaultValueFactory = _ => "0.0.0.0" };
        var writeKubeconfig = new Option<string?>("--write-kubeconfig", "-o") { Description = "Write an admin kubeconfig to this path" };
        var kubeconfigMode = new Option<string?>("--write-kubeconfig-mode") { Description = "File mode of the written kubeconfig, e.g. 644 (default 600)" };
        kubeconfigMode.Validators.Add(result =>
        {
            string? mode = result.GetValueOrDefault<string?>();
            if (mode is not null && (mode.Length is 0 or > 4 || mode.Any(c => c is < '0' or > '7')))
            {
                result.AddError($"--write-kubeconfig-mode: {mode} is not an octal file mode such as 600 or 0644");
            }
        });
        var encryptionConfig = new Option<string?>("--encryption-provider-config") { Description = "An EncryptionConfiguration file (apiserver.config.k8s.io/v1: aescbc, aesgcm, secretbox, identity) saying which resources are encrypted at rest" };
        var secretsEncryption = new Option<bool>("--secrets-encryption") { Description = "Encrypt Secrets at rest with an aescbc key kept in <data-dir>/server/cred/encryption-config.json (see navarch secrets-encrypt)" };
        var datastore = new Option<string>("--datastore-endpoint") { Description = "Empty for the embedded SQLite store, or etcd client URLs (http://host:2379[,...])", DefaultValueFactory = _ => "" };
        var tokenFile = new Option<string?>("--token-auth-file") { Description = "Static token file (CSV: token,user,uid,\"group1,group2\")" };
        var admissionConfig = new Option<string?>("--admission-control-config-file") { Description = "An AdmissionConfiguration file with admission plugin settings (PodSecurity defaults and exemptions)" };
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
        var clusterDnsBind = new Option<string?>("--cluster-dns-bind") { Description = "IP[:port] the cluster DNS server listens on, UDP and TCP (default: the agent's pod bridge address, port 53, reached through the kube-dns ClusterIP; none with --disable-agent). Only the cluster's pods and nodes and this host are answered" };
        var dnsUpstream = new Option<string>("--dns-upstream") { Description = "Resolvers for names outside the cluster domain: IP[:port],... or a resolv.conf path", DefaultValueFactory = _ => "/etc/resolv.conf" };
        var kubeletPort = new Option<int>("--kubelet-port") { Description = "Port of the agent's kubelet HTTPS API (logs, exec, port-forward)", DefaultValueFactory = _ => 10250 };
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "IPv4 range nodes' pod CIDRs are carved from", DefaultValueFactory = _ => "10.42.0.0/16" };
        Option<string> nodeMonitorGracePeriod = Token.GoDuration.Option("--node-monitor-grace-period", "How long a node may go without a heartbeat before it is marked not ready (and its pods evicted after their tolerations)", "40s");
        Option<string> hpaSyncPeriod = Token.GoDuration.Option("--horizontal-pod-autoscaler-sync-period", "How often the HorizontalPodAutoscaler controller reconciles every HPA", "15s");
        Option<string> hpaDownscaleStabilization = Token.GoDuration.Option("--horizontal-pod-autoscaler-downscale-stabilization", "The scale-down stabilization window of HPAs that set none", "5m0s");
        Option<string> metricResolution = Token.GoDuration.Option("--metric-resolution", "How often the built-in resource metrics source (metrics.k8s.io) reads every kubelet", "15s");
        var schedulerConfig = new Option<string?>("--scheduler-config") { Description = "A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) YAML file: the scheduler's profiles" };
        var bridge = new Option<string>("--bridge-name") { Description = "The agent's pod network bridge", DefaultValueFactory = _ => "navarch0" };

        var etcd = new EmbeddedEtcdFlags();
        var command = new Command(name, description) { dataDir, port, bind, writeKubeconfig, kubeconfigMode, encryptionConfig, secretsEncryption, datastore, tokenFile, admissionConfig, authorizationMode, serviceCidr, disableAgent, nodeName, nodeIp, token, clusterDns, clusterDomain, clusterDnsBind, dnsUpstream, kubeletPort, clusterCidr, nodeMonitorGracePeriod, schedulerConfig, bridge, hpaSyncPeriod, hpaDownscaleStabilization, metricResolution };
        etcd.AddTo(command);
        var proxyFlags = new ProxyCommand.AgentFlags();
        proxyFlags.AddTo(command);
        resources.AddTo(command);
        var audit = new AuditFlags();
        audit.AddTo(command);
        var logStore = new LogStoreFlags();
        logStore.AddTo(command);
        var privateRegistry = new PrivateRegistryFlag();
        privateRegistry.AddTo(command);
        var snapshots = new SnapshotFlags();
        snapshots.AddTo(command);
        var identityLeases = new IdentityLeaseFlags();
        identityLeases.AddTo(command);
        var componentMetrics = new ComponentMetricsFlags();
        componentMetrics.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (await SchedulerCommand.LoadConfigurationAsync(parse.GetValue(schedulerConfig), name) is not { } schedulerConfiguration)
            {
                return 1;
            }

            if (await privateRegistry.LoadAsync(parse, name) is not { } registries)
            {
                return 1;
            }

            using ILoggerFactory logging = Logging.Create();
            ServerOptions options = Options(parse, schedulerConfiguration, registries);
            using var stop = new Shutdown(cancellationToken);
            await using var server = new ServerRuntime(options, logging);
            try
            {
                await server.StartApiServerAsync(stop.Token);
            }
            catch (InvalidDataException e)
            {
                // A setting the user can fix (e.g. a --token made for another cluster's CA).
                await Console.Error.WriteLineAsync($"navarch {name}: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
            {
                // Asked to stop while starting: a clean stop.
                return 0;
            }
            catch (IOException e) when (AddressInUse.Is(e))
            {
                return await AddressInUse.ReportAsync(name, e);
            }

            try
            {
                await server.StartComponentsAsync();
            }
            catch (IOException e) when (AddressInUse.Is(e))
            {
                // The server's own agent: its kubelet's port.
                return await AddressInUse.ReportAsync(name, e);
            }

            SystemdNotify.Ready("serving");
            await stop.WaitAsync();
            SystemdNotify.Stopping();
            await server.StopAsync();
            return 0;
        });

        ServerOptions Options(ParseResult parse, SchedulerConfiguration schedulerConfiguration, Navarch.Kubelet.Containerd.Registries.PrivateRegistries registries)
        {
            IPAddress bindAddress = IPAddress.Parse(parse.GetValue(bind)!);
            string thisNode = parse.GetValue(nodeName) is { Length: > 0 } n ? n : Environment.MachineName.ToLowerInvariant();
            string? thisNodeIp = KubeletCommand.ParseNodeIp(parse.GetValue(nodeIp));
            bool withAgent = withControllers && !parse.GetValue(disableAgent);
            Navarch.Server.Etcd.EmbeddedEtcdOptions? embeddedEtcd = etcd.Options(parse, parse.GetValue(dataDir)!, thisNode, bindAddress, bindAddress.Equals(IPAddress.Any) || bindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.Parse(thisNodeIp ?? Navarch.Kubelet.Node.HostInfoAccess.InternalIp) : bindAddress, parse.GetValue(datastore)!, parse.GetValue(token), parse.GetValue(serviceCidr)!);
            return new ServerOptions
            {
                ApiServer = new ApiServerOptions
                {
                    DataDir = parse.GetValue(dataDir)!,
                    Port = parse.GetValue(port),
                    BindAddress = bindAddress,
                    // default/kubernetes points at this server, so pods reach it at 10.43.0.1:443 (not published by the API server alone).
                    AdvertiseAddress = !withControllers ? null
                        : bindAddress.Equals(IPAddress.Any) || bindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.Parse(thisNodeIp ?? Navarch.Kubelet.Node.HostInfoAccess.InternalIp)
                        : bindAddress,
                    AdvertiseNodeName = withAgent ? thisNode : null,
                    WriteKubeconfig = parse.GetValue(writeKubeconfig),
                    WriteKubeconfigMode = parse.GetValue(kubeconfigMode),
                    EncryptionProviderConfig = parse.GetValue(encryptionConfig),
                    SecretsEncryption = parse.GetValue(secretsEncryption),
                    TokenAuthFile = parse.GetValue(tokenFile),
                    AdmissionControlConfigFile = parse.GetValue(admissionConfig),
                    AuthorizationMode = parse.GetValue(authorizationMode)!,
                    ServiceCidr = parse.GetValue(serviceCidr)!,
                    Token = parse.GetValue(token),
                    Audit = audit.Options(parse),
                    ContainerLogs = logStore.Options(parse),
                    MetricResolution = Token.GoDuration.Parse(parse.GetValue(metricResolution)!),
                    EtcdClientUrls = EmbeddedEtcdFlags.ClientUrls(embeddedEtcd),
                    Leases = identityLeases.Options(parse),
                    PrometheusDiscovery = componentMetrics.Discovery(parse, proxyFlags.MetricsPort(parse)),
                },
                DatastoreEndpoint = parse.GetValue(datastore)!,
                Snapshots = snapshots.Options(parse) with { NodeName = thisNode },
                EmbeddedEtcd = embeddedEtcd,
                ControllerManager = !withControllers ? null : new ControllerManagerOptions
                {
                    ClusterCidr = parse.GetValue(clusterCidr)!,
                    NodeMonitorGracePeriod = Token.GoDuration.Parse(parse.GetValue(nodeMonitorGracePeriod)!),
                    HorizontalPodAutoscalerSyncPeriod = Token.GoDuration.Parse(parse.GetValue(hpaSyncPeriod)!),
                    HorizontalPodAutoscalerDownscaleStabilizationWindow = Token.GoDuration.Parse(parse.GetValue(hpaDownscaleStabilization)!),
                    SecurePort = componentMetrics.ControllerManagerSecurePort(parse),
                },
                Scheduler = !withControllers ? null : new SchedulerOptions { Configuration = schedulerConfiguration, SecurePort = componentMetrics.SchedulerSecurePort(parse) },
                Agent = !withAgent ? null : new AgentOptions
                {
                    Kubelet = new KubeletOptions
                    {
                        NodeName = thisNode,
                        NodeIp = thisNodeIp,
                        KubeReserved = resources.KubeReserved(parse),
                        SystemReserved = resources.SystemReserved(parse),
                        EvictionHard = resources.EvictionHard(parse),
                        DataDir = parse.GetValue(dataDir)!,
                        ClusterDns = parse.GetValue(clusterDns)!,
                        ClusterDomain = parse.GetValue(clusterDomain)!,
                        KubeletPort = parse.GetValue(kubeletPort),
                        BridgeName = parse.GetValue(bridge)!,
                        Registries = registries,
                    },
                    Proxy = proxyFlags.Options(parse, thisNode, parse.GetValue(clusterCidr)!),
                    NetworkPolicy = proxyFlags.NetworkPolicyOptions(parse, thisNode),
                    NetworkPolicyDisabled = proxyFlags.NetworkPolicyDisabled(parse),
                },
                Dns = !withControllers ? null : new DnsOptions(parse.GetValue(clusterDnsBind), parse.GetValue(clusterDns)!, parse.GetValue(clusterDomain)!, parse.GetValue(dnsUpstream)!, [parse.GetValue(clusterCidr)!, parse.GetValue(serviceCidr)!], componentMetrics.DnsMetricsPort(parse)),
            };
        }

        return command;
    }
}
