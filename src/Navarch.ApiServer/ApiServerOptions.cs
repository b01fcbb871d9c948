using System.Net;

namespace Navarch.ApiServer;

/// <summary>How to run the API server.</summary>
public sealed class ApiServerOptions
{
    /// <summary>The data directory (k3s's <c>--data-dir</c>); certificates and the embedded store live under <c>server/</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>The HTTPS port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 6443;

    /// <summary>The address to listen on.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>Empty for the embedded SQLite store, or etcd client URLs (<c>http://host:2379,...</c>).</summary>
    public string DatastoreEndpoint { get; init; } = "";

    /// <summary>The Service CIDR; its first address is the <c>kubernetes</c> Service's.</summary>
    public string ServiceCidr { get; init; } = "10.43.0.0/16";

    /// <summary>
    /// --authorization-mode: <c>RBAC</c> (Roles, ClusterRoles and their bindings; <c>system:masters</c> may do anything;
    /// the default, as k3s's) or <c>AlwaysAllow</c> (every authenticated user may do anything).
    /// </summary>
    public string AuthorizationMode { get; init; } = "RBAC";

    /// <summary>A Kubernetes static token file (CSV: token,user,uid,"group1,group2"), or null.</summary>
    public string? TokenAuthFile { get; init; }

    /// <summary>The join token (k3s's <c>--token</c>: a full K10 token or its secret); null keeps or generates <c>server/token</c>.</summary>
    public string? Token { get; init; }

    /// <summary>Where to write an admin kubeconfig, or null.</summary>
    public string? WriteKubeconfig { get; init; }

    /// <summary>The file mode of the written kubeconfig, e.g. "600".</summary>
    public string? WriteKubeconfigMode { get; init; }

    /// <summary>History kept for watches and reads at old revisions.</summary>
    public TimeSpan CompactionWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Requests served at once before new ones get 429.</summary>
    public int MaxInFlight { get; init; } = 400;

    /// <summary>
    /// Request-body bytes held at once (<see cref="Http.BodyBudget"/>); requests past it wait, then get 429. A body
    /// costs several times its size while it is decoded, so this bounds the memory bodies can take.
    /// </summary>
    public long MaxInFlightBodyBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
