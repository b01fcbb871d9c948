using k8s;
using k8s.Models;
using Navarch.Proxy.NetworkPolicy.Model;
using Navarch.Proxy.NetworkPolicy.Rules;

namespace Navarch.Proxy.Tests.NetworkPolicy;

/// <summary>
/// A small cluster for the rule tables: two nodes, namespaces prod (team=a), dev (team=b) and kube-system, a few pods
/// with named ports, the cluster DNS standing in for kube-dns pods, and addresses outside the cluster. A connection is
/// allowed when every node's computed dataplane lets it through (the source's node judges egress, the
/// destination's node ingress), read the way the kernel reads the table.
/// </summary>
internal static class PolicyWorld
{
    public const string Node1 = "node-1", Node2 = "node-2";

    public static readonly Dictionary<string, (string Namespace, string Name, string App, string Node, string Ip, (string Name, string Protocol, int Port)[] Ports)> Pods = new()
    {
        ["prod/web"] = ("prod", "web", "web", Node1, "10.42.1.10", [("http", "TCP", 8080), ("metrics", "TCP", 9090)]),
        ["prod/web2"] = ("prod", "web2", "web", Node1, "10.42.1.12", [("http", "TCP", 8082)]),
        ["prod/db"] = ("prod", "db", "db", Node1, "10.42.1.11", [("pg", "TCP", 5432)]),
        ["prod/client"] = ("prod", "client", "client", Node2, "10.42.2.10", []),
        ["dev/client"] = ("dev", "client", "client", Node2, "10.42.2.11", []),
        ["dev/web"] = ("dev", "web", "web", Node2, "10.42.2.12", [("http", "TCP", 8081), ("stats", "UDP", 8125)]),
    };

    /// <summary>Where the cluster DNS listens (a node's address, not a pod's).</summary>
    public const string Dns = "172.20.0.1";

    public static PolicyInputs Inputs(IEnumerable<string> policyYaml)
    {
        List<PodEndpoint> pods = Pods.Values.Select(p => PodEndpoint.From(Pod(p.Namespace, p.Name, p.App, p.Node, p.Ip, p.Ports))!).ToList();
        var slice = new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "kube-dns", NamespaceProperty = "kube-system", Labels = new Dictionary<string, string> { ["k8s-app"] = "kube-dns", ["kubernetes.io/service-name"] = "kube-dns" } },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = [Dns], NodeName = Node1 }],
            Ports = [new Discoveryv1EndpointPort { Name = "dns", Protocol = "UDP", Port = 53 }, new Discoveryv1EndpointPort { Name = "dns-tcp", Protocol = "TCP", Port = 53 }],
        };
        pods.AddRange(ClusterDnsPeers.From([slice], pods.Select(p => p.Ip).ToHashSet()));
        var namespaces = new Dictionary<string, IDictionary<string, string>?>
        {
            ["prod"] = new Dictionary<string, string> { ["team"] = "a" },
            ["dev"] = new Dictionary<string, string> { ["team"] = "b" },
            ["kube-system"] = null,
        };
        return new PolicyInputs(policyYaml.Select(y => KubernetesYaml.Deserialize<V1NetworkPolicy>(y)).ToList(), pods, namespaces);
    }

    public static V1Pod Pod(string ns, string name, string app, string node, string ip, params (string Name, string Protocol, int Port)[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers = [new V1Container { Name = "c", Ports = ports.Select(p => new V1ContainerPort { Name = p.Name, Protocol = p.Protocol, ContainerPort = p.Port }).ToList() }],
        },
        Status = new V1PodStatus { Phase = "Running", PodIP = ip },
    };

    /// <summary>An address: a pod's key (<c>prod/web</c>), <c>dns</c>, or an IPv4 address.</summary>
    public static uint Address(string who) =>
        IpRange.ParseAddress(Pods.TryGetValue(who, out var pod) ? pod.Ip : who == "dns" ? Dns : who)
        ?? throw new ArgumentException($"unknown address {who}");

    /// <summary>Whether a new connection from <paramref name="from"/> to <paramref name="to"/> is let through.</summary>
    public static bool Allowed(PolicyInputs inputs, string from, string to, string protocol, int port)
    {
        uint source = Address(from), destination = Address(to);
        foreach (string node in new[] { Node1, Node2 })
        {
            PolicyDataplane dataplane = NetworkPolicyCompiler.Compile(inputs, node);
            if (dataplane.EgressPods.TryGetValue(source, out string? egress) && !Passes(dataplane, dataplane.Chains[egress], source, destination, protocol, port))
            {
                return false;
            }

            if (dataplane.IngressPods.TryGetValue(destination, out string? ingress) && !Passes(dataplane, dataplane.Chains[ingress], source, destination, protocol, port))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Passes(PolicyDataplane dataplane, PolicyChain chain, uint source, uint destination, string protocol, int port)
    {
        uint peer = chain.Direction == PolicyDirection.Ingress ? source : destination;
        string proto = protocol.ToLowerInvariant();
        return chain.Rules.Any(r =>
            (r.PeerSet is null || dataplane.Sets[r.PeerSet].Any(range => range.Contains(peer)))
            && (r.Protocol is null || r.Protocol == proto)
            && (r.Port is null || (port >= r.Port && port <= (r.EndPort ?? r.Port)))
            && (r.Destinations is null || r.Destinations.Contains(new DestinationPort(destination, port))));
    }
}
