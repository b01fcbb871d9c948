using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Quota;

/// <summary>Kubernetes' service evaluator: services, their load balancers and node ports (a type change is an update that counts).</summary>
public sealed class ServiceQuotaEvaluator : QuotaEvaluator
{
    /// <summary>The one instance.</summary>
    public static readonly ServiceQuotaEvaluator Instance = new();

    private static readonly string[] Names = ["count/services", "services", "services.loadbalancers", "services.nodeports"];

    private ServiceQuotaEvaluator()
    {
    }

    /// <inheritdoc />
    public override string Group => "";

    /// <inheritdoc />
    public override string Resource => "services";

    /// <inheritdoc />
    public override bool Handles(bool update) => true;

    /// <inheritdoc />
    public override IReadOnlyList<string> MatchingResources(IEnumerable<string> names) => names.Intersect(Names, StringComparer.Ordinal).ToList();

    /// <inheritdoc />
    public override Dictionary<string, Quantity> Usage(object obj, DateTimeOffset now)
    {
        var service = (V1Service)obj;
        int ports = service.Spec?.Ports?.Count ?? 0;
        long nodePorts = 0, loadBalancers = 0;
        switch (service.Spec?.Type)
        {
            case "NodePort":
                nodePorts = ports;
                break;
            case "LoadBalancer":
                // Without node ports allocated, only those asked for explicitly are taken.
                nodePorts = service.Spec.AllocateLoadBalancerNodePorts == false ? service.Spec.Ports?.Count(p => p.NodePort is > 0) ?? 0 : ports;
                loadBalancers = 1;
                break;
        }

        return new Dictionary<string, Quantity>(StringComparer.Ordinal)
        {
            ["services"] = Quantity.FromUnits(1),
            ["count/services"] = Quantity.FromUnits(1),
            ["services.nodeports"] = Quantity.FromUnits(nodePorts),
            ["services.loadbalancers"] = Quantity.FromUnits(loadBalancers),
        };
    }
}
