using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 Service. ClusterIP and nodePort allocation is the API server's, not the strategy's.</summary>
internal static class ServiceStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Service> Create() => new()
    {
        HasStatus = true,
        NameRule = NameRule.Label,
        Defaults = s =>
        {
            s.Spec ??= new V1ServiceSpec();
            s.Spec.Type ??= "ClusterIP";
            s.Spec.SessionAffinity ??= "None";
            if (s.Spec.Type != "ExternalName")
            {
                s.Spec.InternalTrafficPolicy ??= "Cluster";
                s.Spec.IpFamilyPolicy ??= "SingleStack";
                s.Spec.IpFamilies ??= ["IPv4"];
            }

            if (s.Spec.Type is "NodePort" or "LoadBalancer")
            {
                s.Spec.ExternalTrafficPolicy ??= "Cluster";
            }

            // Go writes a Service's status.loadBalancer (a struct, not a pointer) even when empty; clients expect it.
            s.Status ??= new V1ServiceStatus();
            s.Status.LoadBalancer ??= new V1LoadBalancerStatus();

            foreach (V1ServicePort port in s.Spec.Ports ?? [])
            {
                port.Protocol ??= "TCP";
                port.TargetPort ??= port.Port;
            }
        },
        Validation = ServiceValidation.Validate,
        UpdateValidation = ServiceValidation.ValidateUpdate,
        Columns =
        [
            new("Type", "string", "", "The type of service."),
            new("Cluster-IP", "string", "", "ClusterIP is the IP address of the service."),
            new("External-IP", "string", "", "The external IP addresses of the service."),
            new("Port(s)", "string", "", "The ports exposed by the service."),
            TableColumn.AgeColumn,
            new("Selector", "string", "", "Route service traffic to pods with label keys and values matching this selector.", 1),
        ],
        Cells = (s, now) =>
        [
            s.Spec?.Type,
            string.IsNullOrEmpty(s.Spec?.ClusterIP) ? "<none>" : s.Spec.ClusterIP,
            ExternalIps(s),
            s.Spec?.Ports is { Count: > 0 } ports
                ? string.Join(",", ports.Select(p => p.NodePort is { } np and > 0 ? $"{p.Port}:{np}/{p.Protocol}" : $"{p.Port}/{p.Protocol}"))
                : "<none>",
            Age.Of(s.Metadata.CreationTimestamp, now),
            s.Spec?.Selector is { Count: > 0 } sel ? string.Join(",", sel.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) : "<none>",
        ],
    };

    private static string ExternalIps(V1Service s)
    {
        var ips = new List<string>(s.Spec?.ExternalIPs ?? []);
        ips.AddRange((s.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip ?? i.Hostname).OfType<string>());
        if (s.Spec?.Type == "ExternalName")
        {
            return s.Spec.ExternalName ?? "<none>";
        }

        return ips.Count > 0 ? string.Join(",", ips) : s.Spec?.Type == "LoadBalancer" ? "<pending>" : "<none>";
    }
}
