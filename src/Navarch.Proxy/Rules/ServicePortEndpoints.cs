namespace Navarch.Proxy.Rules;

/// <summary>A Service port with every endpoint the EndpointSlices give it (sorted by address).</summary>
/// <param name="Service">The port.</param>
/// <param name="Endpoints">Its endpoints.</param>
internal sealed record ServicePortEndpoints(ServicePortInfo Service, IReadOnlyList<EndpointInfo> Endpoints)
{
    /// <summary>
    /// Endpoints for traffic that may go to any node: the ready ones, or — only when none is ready — the serving
    /// terminating ones (kube-proxy's CategorizeEndpoints).
    /// </summary>
    public IReadOnlyList<EndpointInfo> ClusterEndpoints => Usable(Endpoints);

    /// <summary>The same choice among this node's endpoints.</summary>
    public IReadOnlyList<EndpointInfo> LocalEndpoints => Usable(Endpoints.Where(e => e.IsLocal).ToList());

    /// <summary>Endpoints for ClusterIP traffic.</summary>
    public IReadOnlyList<EndpointInfo> InternalEndpoints => Service.InternalPolicyLocal ? LocalEndpoints : ClusterEndpoints;

    /// <summary>Endpoints for NodePort, externalIP and load-balancer traffic.</summary>
    public IReadOnlyList<EndpointInfo> ExternalEndpoints => Service.ExternalPolicyLocal ? LocalEndpoints : ClusterEndpoints;

    private static List<EndpointInfo> Usable(IReadOnlyList<EndpointInfo> endpoints)
    {
        List<EndpointInfo> ready = endpoints.Where(e => e.Ready).ToList();
        return ready.Count > 0 ? ready : endpoints.Where(e => e.Serving && e.Terminating).ToList();
    }
}
