using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Endpoints;

/// <summary>
/// What the Endpoints and EndpointSlice controllers share (Kubernetes' pkg/controller/util/endpoint and podutil):
/// which Services select a pod, which pods belong in endpoints, readiness, and target port resolution.
/// </summary>
internal static class EndpointUtil
{
    /// <summary>The label on a headless Service's Endpoints and EndpointSlices.</summary>
    public const string HeadlessLabel = "service.kubernetes.io/headless";

    /// <summary>
    /// Whether the controllers manage endpoints for <paramref name="service"/>: it has a selector and is not an
    /// ExternalName service. Services without a selector have user-managed Endpoints and slices.
    /// </summary>
    public static bool IsManaged(V1Service service) =>
        service.Spec?.Selector is { Count: > 0 } && service.Spec.Type != "ExternalName";

    /// <summary>Whether the Service's selector (a plain label map) selects <paramref name="labels"/>.</summary>
    public static bool Selects(V1Service service, IDictionary<string, string>? labels)
    {
        if (service.Spec?.Selector is not { Count: > 0 } selector || labels is null)
        {
            return false;
        }

        foreach (KeyValuePair<string, string> requirement in selector)
        {
            if (!labels.TryGetValue(requirement.Key, out string? value) || value != requirement.Value)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The keys of the Services in the pod's namespace that select it, by its old or its new labels (a pod that
    /// stopped matching must leave the Service's endpoints too).
    /// </summary>
    public static HashSet<string> ServicesOf(Indexer<V1Service> services, V1Pod? oldPod, V1Pod pod)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1Service service in services.List(pod.Metadata.NamespaceProperty))
        {
            if (Selects(service, pod.Metadata.Labels) || (oldPod is not null && Selects(service, oldPod.Metadata.Labels)))
            {
                keys.Add(ObjectKeys.KeyOf(service));
            }
        }

        return keys;
    }

    /// <summary>
    /// Kubernetes' ShouldPodBeInEndpoints: the pod has an IP, is not terminal, and is not being deleted unless
    /// terminating pods are wanted.
    /// </summary>
    public static bool ShouldPodBeInEndpoints(V1Pod pod, bool includeTerminating)
    {
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return false;
        }

        if (PodIps(pod).Count == 0)
        {
            return false;
        }

        return includeTerminating || pod.Metadata.DeletionTimestamp is null;
    }

    /// <summary>Whether the pod's Ready condition is True.</summary>
    public static bool IsPodReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>The pod's IPs: status.podIPs, and status.podIP when the list lacks it.</summary>
    public static List<string> PodIps(V1Pod pod)
    {
        var ips = new List<string>();
        foreach (V1PodIP podIp in pod.Status?.PodIPs ?? [])
        {
            if (!string.IsNullOrEmpty(podIp.Ip) && !ips.Contains(podIp.Ip))
            {
                ips.Add(podIp.Ip);
            }
        }

        if (pod.Status?.PodIP is { Length: > 0 } primary && !ips.Contains(primary))
        {
            ips.Insert(0, primary);
        }

        return ips;
    }

    /// <summary>Whether <paramref name="ip"/> is an IPv6 address.</summary>
    public static bool IsIPv6(string ip) =>
        IPAddress.TryParse(ip, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>The pod's first IP of the family (<c>IPv4</c> or <c>IPv6</c>), or null.</summary>
    public static string? PodIpOfFamily(V1Pod pod, string family) =>
        PodIps(pod).FirstOrDefault(ip => IsIPv6(ip) == (family == "IPv6"));

    /// <summary>Whether the Service is headless (clusterIP None).</summary>
    public static bool IsHeadless(V1Service service) => service.Spec?.ClusterIP == "None";

    /// <summary>Kubernetes' ShouldSetHostname: the pod names a hostname and this Service as its subdomain.</summary>
    public static bool ShouldSetHostname(V1Pod pod, V1Service service) =>
        !string.IsNullOrEmpty(pod.Spec?.Hostname) && pod.Spec.Subdomain == service.Metadata.Name
        && pod.Metadata.NamespaceProperty == service.Metadata.NamespaceProperty;

    /// <summary>
    /// Kubernetes' FindPort: a numeric targetPort is used as is (none means the port itself); a named one is looked
    /// up among the pod's container ports (and its restartable init containers') by name and protocol.
    /// Null when the pod does not expose the name.
    /// </summary>
    public static int? FindPort(V1Pod pod, V1ServicePort servicePort)
    {
        string? target = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
        {
            return servicePort.Port;
        }

        if (int.TryParse(target, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
        {
            return number;
        }

        string protocol = servicePort.Protocol ?? "TCP";
        IEnumerable<V1Container> containers = (pod.Spec?.Containers ?? [])
            .Concat((pod.Spec?.InitContainers ?? []).Where(c => c.RestartPolicy == "Always"));
        foreach (V1Container container in containers)
        {
            foreach (V1ContainerPort port in container.Ports ?? [])
            {
                if (port.Name == target && (port.Protocol ?? "TCP") == protocol)
                {
                    return port.ContainerPort;
                }
            }
        }

        return null;
    }

    /// <summary>The reference an endpoint keeps to its pod.</summary>
    public static V1ObjectReference PodReference(V1Pod pod) => new()
    {
        Kind = "Pod",
        NamespaceProperty = pod.Metadata.NamespaceProperty,
        Name = pod.Metadata.Name,
        Uid = pod.Metadata.Uid,
    };
}
