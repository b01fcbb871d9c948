using k8s.Models;

namespace Navarch.Proxy.Tests;

/// <summary>Services and EndpointSlices as the API server and the EndpointSlice controller write them.</summary>
internal static class Objects
{
    public static V1Service Service(string name, string clusterIp, params V1ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns1" },
        Spec = new V1ServiceSpec { Type = "ClusterIP", ClusterIP = clusterIp, ClusterIPs = clusterIp == "None" ? null : [clusterIp], Ports = ports, Selector = new Dictionary<string, string> { ["app"] = name } },
    };

    public static V1ServicePort Port(string? name, int port, string protocol = "TCP", int? nodePort = null) =>
        new() { Name = name, Port = port, Protocol = protocol, TargetPort = port, NodePort = nodePort };

    public static V1Endpoint Endpoint(string ip, string node = "node-a", bool ready = true, bool? serving = null, bool terminating = false) => new()
    {
        Addresses = [ip],
        NodeName = node,
        Conditions = new V1EndpointConditions { Ready = ready, Serving = serving ?? ready, Terminating = terminating },
    };

    public static V1EndpointSlice Slice(string service, string? portName, int port, string protocol, params V1Endpoint[] endpoints) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta { Name = $"{service}-{Guid.NewGuid().ToString("N")[..5]}", NamespaceProperty = "ns1", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Endpoints = endpoints,
        Ports = [new Discoveryv1EndpointPort { Name = portName, Port = port, Protocol = protocol }],
    };
}
