using k8s.Models;

namespace Navarch.Api.Strategies.Networking;

/// <summary>networking.k8s.io/v1 Ingress.</summary>
internal static class IngressStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Ingress> Create() => new()
    {
        HasStatus = true,
        Validation = IngressValidation.Validate,
        Columns =
        [
            new("Class", "string", "", "The name of the IngressClass resource."),
            new("Hosts", "string", "", "Hosts that incoming requests are matched against."),
            new("Address", "string", "", "Address is a list containing ingress points for the load-balancer."),
            new("Ports", "string", "", "Ports of TLS configurations that open."),
            TableColumn.AgeColumn,
        ],
        Cells = (i, now) =>
        [
            i.Spec?.IngressClassName ?? "<none>",
            i.Spec?.Rules is { Count: > 0 } rules ? string.Join(",", rules.Select(r => string.IsNullOrEmpty(r.Host) ? "*" : r.Host)) : "*",
            string.Join(",", (i.Status?.LoadBalancer?.Ingress ?? []).Select(x => x.Ip ?? x.Hostname)),
            i.Spec?.Tls is { Count: > 0 } ? "80, 443" : "80",
            Age.Of(i.Metadata.CreationTimestamp, now),
        ],
    };
}
