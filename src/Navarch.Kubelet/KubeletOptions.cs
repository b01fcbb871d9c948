using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Navarch.Kubelet;

/// <summary>How a kubelet runs.</summary>
public sealed record KubeletOptions
{
    /// <summary>The Node name (defaults to the hostname, lower-cased).</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>The agent's state folder; containerd, pod logs and images live under <c>DATA/agent</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>A CRI endpoint to use instead of a supervised containerd (a socket path or unix://PATH).</summary>
    public string? ContainerRuntimeEndpoint { get; init; }

    /// <summary>Registry mirrors, TLS and credentials for the supervised containerd (<c>--private-registry</c>).</summary>
    public Containerd.Registries.PrivateRegistries Registries { get; init; } = Containerd.Registries.PrivateRegistries.None;

    /// <summary>The pod CIDR used while the Node has no spec.podCIDR (no IPAM controller runs).</summary>
    public string DefaultPodCidr { get; init; } = "10.42.0.0/24";

    /// <summary>The host bridge of the pod network.</summary>
    public string BridgeName { get; init; } = "navarch0";

    /// <summary>The cluster DNS server pods with dnsPolicy ClusterFirst use.</summary>
    public string ClusterDns { get; init; } = "10.43.0.10";

    /// <summary>The cluster domain.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>How often the node Lease is renewed.</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the node status is posted.</summary>
    public TimeSpan StatusUpdateInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Labels added to the Node at registration (e.g. node-role.kubernetes.io/control-plane).</summary>
    public IReadOnlyDictionary<string, string> NodeLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>The port of the kubelet's HTTPS API (logs, exec, attach, port-forward, stats), published in the Node status.</summary>
    public int KubeletPort { get; init; } = 10250;

    /// <summary>Resources set aside for Kubernetes' own daemons (<c>--kube-reserved</c>), taken off allocatable.</summary>
    public IReadOnlyDictionary<string, k8s.Models.ResourceQuantity> KubeReserved { get; init; } = new Dictionary<string, k8s.Models.ResourceQuantity>();

    /// <summary>Resources set aside for the operating system (<c>--system-reserved</c>), taken off allocatable.</summary>
    public IReadOnlyDictionary<string, k8s.Models.ResourceQuantity> SystemReserved { get; init; } = new Dictionary<string, k8s.Models.ResourceQuantity>();

    /// <summary>Hard eviction thresholds (<c>--eviction-hard</c>): the pressure conditions, and taken off allocatable.</summary>
    public IReadOnlyList<Node.EvictionThreshold> EvictionHard { get; init; } = Node.EvictionThreshold.ParseList(Node.EvictionThreshold.Defaults);

    /// <summary>Reads the node's memory, disk and PIDs for each status update (given the data dir); tests supply their own.</summary>
    public Func<string, Node.NodeReadings> Readings { get; init; } = Node.NodeReadings.Read;

    /// <summary>The node's InternalIP (the kubelet's <c>--node-ip</c>); null for the address of the interface the default route leaves by.</summary>
    public string? NodeIp { get; init; }

    /// <summary>The address this node reports and pods see as status.hostIP.</summary>
    public string InternalIp => NodeIp ?? Node.HostInfoAccess.InternalIp;

    /// <summary>The address the kubelet's HTTPS API listens on.</summary>
    public IPAddress KubeletBindAddress { get; init; } = IPAddress.Any;

    /// <summary>The kubelet API's serving certificate with its key (a self-signed one is made when absent, as the kubelet does).</summary>
    public X509Certificate2? ServingCertificate { get; init; }

    /// <summary>When set, the serving certificate read at each handshake (one renewed through the CSR API needs no restart); <see cref="ServingCertificate"/> while it gives none.</summary>
    public Func<X509Certificate2?>? CurrentServingCertificate { get; init; }

    /// <summary>The CA that client certificates must chain to; without it every request is refused.</summary>
    public X509Certificate2? ClientCa { get; init; }

    /// <summary>The client certificate common names allowed to use the kubelet API (the API server's kubelet client).</summary>
    public IReadOnlyList<string> AuthorizedClients { get; init; } = ["system:apiserver", "kube-apiserver-kubelet-client"];

    /// <summary>The folder of the agent's own state.</summary>
    public string AgentDir => Path.Combine(Path.GetFullPath(DataDir), "agent");

    /// <summary>Image tarballs imported at start (k3s's air-gap images folder).</summary>
    public string ImagesDir => Path.Combine(AgentDir, "images");

    /// <summary>Whether the kubelet ships its containers' logs to the central log store (logging.navarch.io).</summary>
    public bool ShipContainerLogs { get; init; } = true;

    /// <summary>Where the log shipper keeps how far each log file is shipped.</summary>
    public string LogShipperStateDir => Path.Combine(AgentDir, "logship");

    /// <summary>Pod log folders (the CRI log directory of each sandbox).</summary>
    public string PodLogsDir => Path.Combine(AgentDir, "pods");
}
