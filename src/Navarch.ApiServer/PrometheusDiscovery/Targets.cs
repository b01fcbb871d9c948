using System.Globalization;
using System.Net;
using k8s.Models;

namespace Navarch.ApiServer.PrometheusDiscovery;

/// <summary>
/// The target groups of each discovery role, from the objects as they are: pure functions, so what a role answers for
/// a given cluster is tested without a server.
/// </summary>
internal static class Targets
{
    /// <summary>Every node's kubelet at its first preferred address and <c>status.daemonEndpoints.kubeletEndpoint.port</c>; <c>instance</c> is the node's name, as Prometheus' node role sets it.</summary>
    public static IEnumerable<TargetGroup> Kubelets(IEnumerable<V1Node> nodes) =>
        NodePorts(nodes, node => node.Status?.DaemonEndpoints?.KubeletEndpoint?.Port is { } port and > 0 ? port : 10250, component: null);

    /// <summary>Every node's component listening on <paramref name="port"/> (kube-proxy's metrics), labelled with the node.</summary>
    public static IEnumerable<TargetGroup> NodeComponents(IEnumerable<V1Node> nodes, string component, int port) =>
        NodePorts(nodes, _ => port, component);

    /// <summary>
    /// Every pod that asks to be scraped and has an IP, not Succeeded or Failed: at its <c>prometheus.io/port</c> (labelled with
    /// the container declaring it, if one does), else at each TCP port its containers declare, else at its IP alone.
    /// </summary>
    public static IEnumerable<TargetGroup> Pods(IEnumerable<V1Pod> pods)
    {
        foreach (V1Pod pod in pods)
        {
            if (ScrapeAnnotations.Read(pod.Metadata.Annotations) is not { } scrape || string.IsNullOrEmpty(pod.Status?.PodIP) || pod.Status.Phase is "Succeeded" or "Failed")
            {
                continue;
            }

            IList<V1Container> containers = pod.Spec?.Containers ?? [];
            var ports = containers.SelectMany(c => (c.Ports ?? []).Where(p => (p.Protocol ?? "TCP") == "TCP").Select(p => (Container: c, Port: (V1ContainerPort?)p))).ToList();
            if (scrape.Port is { } asked)
            {
                ports = [ports.FirstOrDefault(p => p.Port!.ContainerPort == asked) is { Container: not null } declared ? declared : (containers.FirstOrDefault()!, null)];
            }
            else if (ports.Count == 0)
            {
                ports = [.. containers.Take(1).Select(c => (c, (V1ContainerPort?)null))];
            }

            foreach ((V1Container container, V1ContainerPort? port) in ports)
            {
                Dictionary<string, string> labels = MetaLabels.Pod(pod);
                if (container is not null)
                {
                    MetaLabels.AddContainer(labels, container, port);
                }

                scrape.Apply(labels);
                int? target = scrape.Port ?? port?.ContainerPort;
                yield return new TargetGroup([target is { } p ? HostPort(pod.Status.PodIP, p) : pod.Status.PodIP], labels);
            }
        }
    }

    /// <summary>
    /// The addresses of every Service that asks to be scraped (its Endpoints, as the endpoints role gives them, ready or
    /// not): at its <c>prometheus.io/port</c> once per address, else at each endpoint port; with the pod's labels when the
    /// address is a pod's.
    /// </summary>
    public static IEnumerable<TargetGroup> Services(IEnumerable<V1Service> services, IReadOnlyDictionary<(string, string), V1Endpoints> endpoints, Func<string, string, V1Pod?> pod)
    {
        foreach (V1Service service in services)
        {
            if (ScrapeAnnotations.Read(service.Metadata.Annotations) is not { } scrape
                || !endpoints.TryGetValue((service.Metadata.NamespaceProperty ?? "", service.Metadata.Name), out V1Endpoints? found))
            {
                continue;
            }

            foreach (TargetGroup group in Endpoints(found, service, pod, _ => true, scrape.Port, scrape))
            {
                yield return group;
            }
        }
    }

    /// <summary>
    /// The endpoints role's targets of one Endpoints object: an address and port each (only the ports
    /// <paramref name="port"/> accepts), moved to <paramref name="portOverride"/> when given (one target per address then),
    /// with the Service's labels and, for a pod's address, the pod's.
    /// </summary>
    public static IEnumerable<TargetGroup> Endpoints(V1Endpoints endpoints, V1Service? service, Func<string, string, V1Pod?> pod, Func<Corev1EndpointPort, bool> port, int? portOverride, ScrapeAnnotations? scrape = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1EndpointSubset subset in endpoints.Subsets ?? [])
        {
            foreach (Corev1EndpointPort endpointPort in (subset.Ports ?? []).Where(port))
            {
                IEnumerable<(V1EndpointAddress Address, bool Ready)> addresses = (subset.Addresses ?? []).Select(a => (a, true)).Concat((subset.NotReadyAddresses ?? []).Select(a => (a, false)));
                foreach ((V1EndpointAddress address, bool ready) in addresses)
                {
                    string target = HostPort(address.Ip, portOverride ?? endpointPort.Port);
                    if (!seen.Add(target))
                    {
                        continue;
                    }

                    Dictionary<string, string> labels = service is null ? new(StringComparer.Ordinal) : MetaLabels.Service(service);
                    MetaLabels.AddEndpoints(labels, endpoints);
                    MetaLabels.AddEndpoint(labels, address, endpointPort, ready);
                    if (address.TargetRef is { Kind: "Pod" } reference && pod(reference.NamespaceProperty ?? endpoints.Metadata.NamespaceProperty ?? "", reference.Name) is { } owner)
                    {
                        foreach ((string key, string value) in MetaLabels.Pod(owner))
                        {
                            labels[key] = value;
                        }
                    }

                    scrape?.Apply(labels);
                    yield return new TargetGroup([target], labels);
                }
            }
        }
    }

    /// <summary>
    /// A component every API server's machine runs (the controller manager, the scheduler) at each address of the
    /// <c>default/kubernetes</c> Endpoints and its own <paramref name="port"/>, labelled with the component and the node.
    /// </summary>
    public static IEnumerable<TargetGroup> ControlPlane(V1Endpoints? apiServers, string component, int port)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1EndpointAddress address in (apiServers?.Subsets ?? []).SelectMany(s => s.Addresses ?? []))
        {
            string target = HostPort(address.Ip, port);
            if (!seen.Add(target))
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal) { [MetaLabels.Component] = component };
            if (address.NodeName is { } node)
            {
                labels[MetaLabels.Prefix + "node_name"] = node;
            }

            yield return new TargetGroup([target], labels);
        }
    }

    private static IEnumerable<TargetGroup> NodePorts(IEnumerable<V1Node> nodes, Func<V1Node, int> port, string? component)
    {
        foreach (V1Node node in nodes)
        {
            if (MetaLabels.NodeAddress(node) is not { } address)
            {
                continue;
            }

            Dictionary<string, string> labels = MetaLabels.Node(node);
            labels["instance"] = node.Metadata.Name;
            if (component is not null)
            {
                labels[MetaLabels.Component] = component;
            }

            yield return new TargetGroup([HostPort(address, port(node))], labels);
        }
    }

    /// <summary>Go's net.JoinHostPort: an IPv6 address in brackets.</summary>
    private static string HostPort(string host, int port) =>
        (IPAddress.TryParse(host, out IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);
}
