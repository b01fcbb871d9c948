using System.Globalization;
using k8s.Models;

namespace Navarch.ApiServer.PrometheusDiscovery;

/// <summary>
/// The <c>__meta_kubernetes_*</c> labels Prometheus' Kubernetes discovery (discovery/kubernetes) gives a target of its
/// node, pod, service and endpoints roles, so relabeling written for <c>kubernetes_sd_configs</c> reads the same here.
/// </summary>
internal static class MetaLabels
{
    public const string Prefix = "__meta_kubernetes_";

    /// <summary>The label of the Navarch component a target is (its controller manager, scheduler, proxy, DNS).</summary>
    public const string Component = "__meta_navarch_component";

    public const string Address = "__address__";

    public const string Scheme = "__scheme__";

    public const string MetricsPath = "__metrics_path__";

    public const string Namespace = Prefix + "namespace";

    // Prometheus' nodeAddress: the first address of the first type present in this order.
    private static readonly string[] AddressPreference = ["InternalIP", "InternalDNS", "ExternalIP", "ExternalDNS", "LegacyHostIP", "Hostname"];

    /// <summary>Prometheus' strutil.SanitizeLabelName: every character that may not be in a label name becomes <c>_</c>.</summary>
    public static string Sanitize(string name) =>
        string.Create(name.Length, name, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' ? c : '_';
            }
        });

    /// <summary>The node role's labels: name, provider id, first address of each type, labels and annotations.</summary>
    public static Dictionary<string, string> Node(V1Node node)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Prefix + "node_name"] = node.Metadata.Name,
            [Prefix + "node_provider_id"] = node.Spec?.ProviderID ?? "",
        };
        AddMeta(labels, "node", node.Metadata);
        foreach (V1NodeAddress address in node.Status?.Addresses ?? [])
        {
            labels.TryAdd(Prefix + "node_address_" + Sanitize(address.Type), address.Address);
        }

        return labels;
    }

    /// <summary>The address Prometheus scrapes a node at (InternalIP first), or null for a node with none.</summary>
    public static string? NodeAddress(V1Node node)
    {
        IList<V1NodeAddress> addresses = node.Status?.Addresses ?? [];
        return AddressPreference.Select(type => addresses.FirstOrDefault(a => a.Type == type)?.Address).FirstOrDefault(a => !string.IsNullOrEmpty(a));
    }

    /// <summary>The pod role's labels (podLabels and the namespace): name, IP, readiness, phase, node, host IP, UID, controller, labels, annotations.</summary>
    public static Dictionary<string, string> Pod(V1Pod pod)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Namespace] = pod.Metadata.NamespaceProperty ?? "",
            [Prefix + "pod_name"] = pod.Metadata.Name,
            [Prefix + "pod_ip"] = pod.Status?.PodIP ?? "",
            [Prefix + "pod_ready"] = (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status ?? "Unknown").ToLowerInvariant(),
            [Prefix + "pod_phase"] = pod.Status?.Phase ?? "",
            [Prefix + "pod_node_name"] = pod.Spec?.NodeName ?? "",
            [Prefix + "pod_host_ip"] = pod.Status?.HostIP ?? "",
            [Prefix + "pod_uid"] = pod.Metadata.Uid ?? "",
        };
        if (pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true) is { } controller)
        {
            labels[Prefix + "pod_controller_kind"] = controller.Kind;
            labels[Prefix + "pod_controller_name"] = controller.Name;
        }

        AddMeta(labels, "pod", pod.Metadata);
        return labels;
    }

    /// <summary>The labels of the container a pod target is for, and of its port when it has one.</summary>
    public static void AddContainer(Dictionary<string, string> labels, V1Container container, V1ContainerPort? port)
    {
        labels[Prefix + "pod_container_name"] = container.Name;
        labels[Prefix + "pod_container_image"] = container.Image ?? "";
        labels[Prefix + "pod_container_init"] = "false";
        if (port is not null)
        {
            labels[Prefix + "pod_container_port_name"] = port.Name ?? "";
            labels[Prefix + "pod_container_port_number"] = port.ContainerPort.ToString(CultureInfo.InvariantCulture);
            labels[Prefix + "pod_container_port_protocol"] = port.Protocol ?? "TCP";
        }
    }

    /// <summary>The service labels the endpoints role adds: namespace, name, labels and annotations.</summary>
    public static Dictionary<string, string> Service(V1Service service)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Namespace] = service.Metadata.NamespaceProperty ?? "",
            [Prefix + "service_name"] = service.Metadata.Name,
        };
        AddMeta(labels, "service", service.Metadata);
        return labels;
    }

    /// <summary>The endpoints role's labels of the Endpoints object itself: namespace, name and labels.</summary>
    public static void AddEndpoints(Dictionary<string, string> labels, V1Endpoints endpoints)
    {
        labels[Namespace] = endpoints.Metadata.NamespaceProperty ?? "";
        labels[Prefix + "endpoints_name"] = endpoints.Metadata.Name;
        foreach ((string key, string value) in endpoints.Metadata.Labels ?? new Dictionary<string, string>())
        {
            labels[Prefix + "endpoints_label_" + Sanitize(key)] = value;
            labels[Prefix + "endpoints_labelpresent_" + Sanitize(key)] = "true";
        }
    }

    /// <summary>The endpoints role's labels of one address and port.</summary>
    public static void AddEndpoint(Dictionary<string, string> labels, V1EndpointAddress address, Corev1EndpointPort port, bool ready)
    {
        labels[Prefix + "endpoint_port_name"] = port.Name ?? "";
        labels[Prefix + "endpoint_port_protocol"] = port.Protocol ?? "TCP";
        labels[Prefix + "endpoint_ready"] = ready ? "true" : "false";
        if (address.TargetRef is { } target)
        {
            labels[Prefix + "endpoint_address_target_kind"] = target.Kind ?? "";
            labels[Prefix + "endpoint_address_target_name"] = target.Name ?? "";
        }

        if (address.NodeName is { } node)
        {
            labels[Prefix + "endpoint_node_name"] = node;
        }

        if (!string.IsNullOrEmpty(address.Hostname))
        {
            labels[Prefix + "endpoint_hostname"] = address.Hostname;
        }
    }

    /// <summary><c>_label_</c>, <c>_labelpresent_</c>, <c>_annotation_</c>, <c>_annotationpresent_</c> of a role's object.</summary>
    private static void AddMeta(Dictionary<string, string> labels, string role, V1ObjectMeta meta)
    {
        foreach ((string key, string value) in meta.Labels ?? new Dictionary<string, string>())
        {
            labels[$"{Prefix}{role}_label_{Sanitize(key)}"] = value;
            labels[$"{Prefix}{role}_labelpresent_{Sanitize(key)}"] = "true";
        }

        foreach ((string key, string value) in meta.Annotations ?? new Dictionary<string, string>())
        {
            labels[$"{Prefix}{role}_annotation_{Sanitize(key)}"] = value;
            labels[$"{Prefix}{role}_annotationpresent_{Sanitize(key)}"] = "true";
        }
    }
}
