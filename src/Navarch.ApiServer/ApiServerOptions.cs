using System.Net;

namespace Navarch.ApiServer;

/// <summary>How to run the API server.</summary>
public sealed class ApiServerOptions
{
    /// <summary>The data directory (k3s's <c>--data-dir</c>); certificates and credentials live under <c>server/</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>The HTTPS port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 6443;

    /// <summary>The address to listen on.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>
    /// kube-apiserver's <c>--advertise-address</c>: where pods reach this server, published as the endpoint of the
    /// <c>default/kubernetes</c> Service once serving; null publishes nothing.
    /// </summary>
    public IPAddress? AdvertiseAddress { get; init; }

    /// <summary>The Node the published <c>default/kubernetes</c> endpoint is on (a server that is also a node), or null.</summary>
    public string? AdvertiseNodeName { get; init; }

    /// <summary>
    /// The client URLs of this server's embedded etcd (<c>navarch server --cluster-init</c> or a joined server), handed to
    /// joining servers by <c>/v1-navarch/server-bootstrap</c>; empty when the server runs no embedded etcd.
    /// </summary>
    public IReadOnlyList<string> EtcdClientUrls { get; init; } = [];

    /// <summary>The ports Prometheus discovery (<c>/v1-navarch/prometheus/sd/</c>) gives the components no object names.</summary>
    public PrometheusDiscovery.PrometheusDiscoveryOptions PrometheusDiscovery { get; init; } = new();

    /// <summary>The Service CIDR; its first address is the <c>kubernetes</c> Service's.</summary>
    public string ServiceCidr { get; init; } = "10.43.0.0/16";

    /// <summary>
    /// --authorization-mode: authorizers asked in order, comma-separated — <c>Node</c> (a kubelet's credentials reach
    /// only its own node's objects), <c>RBAC</c> (Roles, ClusterRoles and their bindings; <c>system:masters</c> may do
    /// anything), <c>AlwaysAllow</c> (every authenticated user may do anything). <c>Node,RBAC</c> by default, as k3s.
    /// </summary>
    public string AuthorizationMode { get; init; } = Authorization.AuthorizationModes.Default;

    /// <summary>A Kubernetes static token file (CSV: token,user,uid,"group1,group2"), or null.</summary>
    public string? TokenAuthFile { get; init; }

    /// <summary>
    /// kube-apiserver's --admission-control-config-file: an AdmissionConfiguration with plugin settings (the PodSecurity
    /// defaults and exemptions), or null.
    /// </summary>
    public string? AdmissionControlConfigFile { get; init; }

    /// <summary>Audit logging (kube-apiserver's <c>--audit-policy-file</c>, <c>--audit-log-*</c>); off by default.</summary>
    public Audit.AuditOptions Audit { get; init; } = new();

    /// <summary>The join token (k3s's <c>--token</c>: a full K10 token or its secret); null keeps or generates <c>server/token</c>.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// kube-apiserver's --encryption-provider-config: an EncryptionConfiguration file (aescbc, aesgcm, secretbox,
    /// identity) saying which resources are encrypted at rest and with which keys, or null.
    /// </summary>
    public string? EncryptionProviderConfig { get; init; }

    /// <summary>
    /// k3s's --secrets-encryption: Secrets are encrypted with an aescbc key generated into
    /// <c>server/cred/encryption-config.json</c>, managed by <c>navarch secrets-encrypt</c>.
    /// </summary>
    public bool SecretsEncryption { get; init; }

    /// <summary>Where to write an admin kubeconfig, or null.</summary>
    public string? WriteKubeconfig { get; init; }

    /// <summary>The file mode of the written kubeconfig, e.g. "600".</summary>
    public string? WriteKubeconfigMode { get; init; }

    /// <summary>Requests served at once before new ones get 429.</summary>
    public int MaxInFlight { get; init; } = 400;

    /// <summary>
    /// Request-body bytes held at once (<see cref="Http.BodyBudget"/>); requests past it wait, then get 429. A body
    /// costs several times its size while it is decoded, so this bounds the memory bodies can take.
    /// </summary>
    public long MaxInFlightBodyBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// How often the built-in resource metrics source reads every kubelet (metrics-server's --metric-resolution;
    /// <c>navarch server</c> gives 15 s). Zero, the default here, reads none: an API server embedded elsewhere (a test,
    /// a benchmark) sends no request to the addresses its Node objects report.
    /// </summary>
    public TimeSpan MetricResolution { get; init; } = TimeSpan.Zero;

    /// <summary>The timings of the leases this server keeps beside its peers (identity Lease, master lease); kube-apiserver's by default.</summary>
    public ApiServerLeaseOptions Leases { get; init; } = new();

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Whether the server records its metrics and serves them at <c>/metrics</c> (on by default; off only to measure what they cost).</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>The central log store's bounds (<c>DATA/server/containerlogs</c>).</summary>
    public ContainerLogs.ContainerLogStoreOptions ContainerLogs { get; init; } = new();
}
