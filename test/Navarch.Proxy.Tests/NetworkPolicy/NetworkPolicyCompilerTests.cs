using Navarch.Proxy.NetworkPolicy.Model;
using Navarch.Proxy.NetworkPolicy.Rules;
using static Navarch.Proxy.Tests.NetworkPolicy.PolicyWorld;

namespace Navarch.Proxy.Tests.NetworkPolicy;

/// <summary>Kubernetes' NetworkPolicy semantics as tables: policies, a new connection, and whether it gets through.</summary>
[Trait("Category", "Unit")]
public sealed class NetworkPolicyCompilerTests
{
    private static string Policy(string ns, string name, string spec) => $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
        {spec}
        """;

    private static readonly string DenyProdIngress = Policy("prod", "deny-ingress", """
          podSelector: {}
          policyTypes: [Ingress]
        """);

    private static readonly string DenyProdEgress = Policy("prod", "deny-egress", """
          podSelector: {}
          policyTypes: [Egress]
        """);

    private static string WebIngress(string rules) => Policy("prod", "web-ingress", $"""
          podSelector: {"{"}matchLabels: {"{"}app: web{"}"}{"}"}
          ingress:
        {rules}
        """);

    private static string WebEgress(string rules) => Policy("prod", "web-egress", $"""
          podSelector: {"{"}matchLabels: {"{"}app: web{"}"}{"}"}
          policyTypes: [Egress]
          egress:
        {rules}
        """);

    public static TheoryData<string, string[], string, string, string, int, bool> Cases() => new()
    {
        // name, policies, from, to, protocol, port, allowed
        { "no policy: everything flows", [], "dev/client", "prod/web", "TCP", 8080, true },
        { "default deny ingress isolates the namespace's pods", [DenyProdIngress], "prod/client", "prod/web", "TCP", 8080, false },
        { "default deny ingress: other namespaces untouched", [DenyProdIngress], "dev/client", "dev/web", "TCP", 8081, true },
        { "default deny ingress: egress untouched", [DenyProdIngress], "prod/web", "dev/web", "TCP", 8081, true },
        { "default deny egress", [DenyProdEgress], "prod/web", "dev/web", "TCP", 8081, false },
        { "default deny egress: ingress untouched", [DenyProdEgress], "dev/client", "prod/web", "TCP", 8080, true },
        { "default deny egress blocks DNS too", [DenyProdEgress], "prod/web", "dns", "UDP", 53, false },

        { "podSelector peer: same namespace", [WebIngress("  - from: [{podSelector: {matchLabels: {app: client}}}]")], "prod/client", "prod/web", "TCP", 8080, true },
        { "podSelector peer: not other namespaces", [WebIngress("  - from: [{podSelector: {matchLabels: {app: client}}}]")], "dev/client", "prod/web", "TCP", 8080, false },
        { "podSelector peer: unselected pods of the namespace stay free", [WebIngress("  - from: [{podSelector: {matchLabels: {app: client}}}]")], "dev/client", "prod/db", "TCP", 5432, true },
        { "namespaceSelector peer", [WebIngress("  - from: [{namespaceSelector: {matchLabels: {team: b}}}]")], "dev/web", "prod/web", "TCP", 8080, true },
        { "namespaceSelector peer: other namespace", [WebIngress("  - from: [{namespaceSelector: {matchLabels: {team: b}}}]")], "prod/client", "prod/web", "TCP", 8080, false },
        { "namespaceSelector by the name label", [WebIngress("  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}}]")], "dev/client", "prod/web", "TCP", 8080, true },
        { "namespace and pod selector in one peer: both", [WebIngress("  - from: [{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: client}}}]")], "dev/client", "prod/web", "TCP", 8080, true },
        { "namespace and pod selector in one peer: pod must match", [WebIngress("  - from: [{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: client}}}]")], "dev/web", "prod/web", "TCP", 8080, false },
        { "namespace and pod selector in one peer: namespace must match", [WebIngress("  - from: [{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: client}}}]")], "prod/client", "prod/web", "TCP", 8080, false },
        { "two peers: either", [WebIngress("  - from: [{namespaceSelector: {matchLabels: {team: b}}}, {podSelector: {matchLabels: {app: client}}}]")], "prod/client", "prod/web", "TCP", 8080, true },
        { "empty namespaceSelector: every namespace", [WebIngress("  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]")], "dev/client", "prod/web", "TCP", 8080, true },
        { "matchExpressions NotIn", [WebIngress("  - from: [{namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [a]}]}}]")], "dev/web", "prod/web", "TCP", 8080, true },
        { "matchExpressions NotIn excludes", [WebIngress("  - from: [{namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [a]}]}}]")], "prod/client", "prod/web", "TCP", 8080, false },
        { "a peer that selects no one allows nothing", [WebIngress("  - from: [{podSelector: {matchLabels: {app: nobody}}}]")], "prod/client", "prod/web", "TCP", 8080, false },
        { "a rule without peers allows everyone", [WebIngress("  - ports: [{port: 8080}]")], "192.168.9.9", "prod/web", "TCP", 8080, true },
        { "an empty rule allows everything", [WebIngress("  - {}")], "dev/client", "prod/web", "UDP", 7, true },
        { "no rules: the policy denies", [WebIngress("    []")], "prod/client", "prod/web", "TCP", 8080, false },

        { "ipBlock", [WebIngress("  - from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.5.0/24]}}]")], "192.168.6.6", "prod/web", "TCP", 8080, true },
        { "ipBlock except", [WebIngress("  - from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.5.0/24]}}]")], "192.168.5.5", "prod/web", "TCP", 8080, false },
        { "ipBlock outside", [WebIngress("  - from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.5.0/24]}}]")], "10.0.0.5", "prod/web", "TCP", 8080, false },
        { "ipBlock matches pod addresses", [WebIngress("  - from: [{ipBlock: {cidr: 10.42.2.0/24}}]")], "dev/client", "prod/web", "TCP", 8080, true },
        { "ipBlock /32 in an except of a wider block", [WebIngress("  - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.42.2.11/32]}}]")], "dev/client", "prod/web", "TCP", 8080, false },
        { "ipBlock 0.0.0.0/0 with an except lets the rest in", [WebIngress("  - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.42.2.11/32]}}]")], "prod/client", "prod/web", "TCP", 8080, true },
        { "ipBlock of IPv6 is ignored (IPv4 cluster)", [WebIngress("  - from: [{ipBlock: {cidr: '::/0'}}]")], "prod/client", "prod/web", "TCP", 8080, false },

        { "port: listed", [WebIngress("  - ports: [{protocol: TCP, port: 8080}]")], "prod/client", "prod/web", "TCP", 8080, true },
        { "port: another", [WebIngress("  - ports: [{protocol: TCP, port: 8080}]")], "prod/client", "prod/web", "TCP", 9090, false },
        { "port: protocol defaults to TCP", [WebIngress("  - ports: [{port: 8080}]")], "prod/client", "prod/web", "UDP", 8080, false },
        { "port: UDP", [WebIngress("  - ports: [{protocol: UDP, port: 8125}]")], "prod/client", "prod/web", "UDP", 8125, true },
        { "port: SCTP", [WebIngress("  - ports: [{protocol: SCTP, port: 9999}]")], "prod/client", "prod/web", "SCTP", 9999, true },
        { "protocol without port: every port of it", [WebIngress("  - ports: [{protocol: UDP}]")], "prod/client", "prod/web", "UDP", 40000, true },
        { "protocol without port: not the others", [WebIngress("  - ports: [{protocol: UDP}]")], "prod/client", "prod/web", "TCP", 40000, false },
        { "endPort: first", [WebIngress("  - ports: [{port: 8000, endPort: 8100}]")], "prod/client", "prod/web", "TCP", 8000, true },
        { "endPort: inside", [WebIngress("  - ports: [{port: 8000, endPort: 8100}]")], "prod/client", "prod/web", "TCP", 8080, true },
        { "endPort: last", [WebIngress("  - ports: [{port: 8000, endPort: 8100}]")], "prod/client", "prod/web", "TCP", 8100, true },
        { "endPort: beyond", [WebIngress("  - ports: [{port: 8000, endPort: 8100}]")], "prod/client", "prod/web", "TCP", 8101, false },
        { "peers and ports both hold", [WebIngress("  - from: [{podSelector: {matchLabels: {app: client}}}]\n    ports: [{port: 9090}]")], "prod/client", "prod/web", "TCP", 8080, false },
        { "named port: the selected pod's number", [WebIngress("  - ports: [{port: http}]")], "prod/client", "prod/web", "TCP", 8080, true },
        { "named port: each selected pod its own number", [WebIngress("  - ports: [{port: http}]")], "prod/client", "prod/web2", "TCP", 8082, true },
        { "named port: not another pod's number", [WebIngress("  - ports: [{port: http}]")], "prod/client", "prod/web", "TCP", 8082, false },
        { "named port: protocol must agree", [WebIngress("  - ports: [{port: http, protocol: UDP}]")], "prod/client", "prod/web", "UDP", 8080, false },

        { "rules add up across policies", [DenyProdIngress, WebIngress("  - from: [{podSelector: {matchLabels: {app: client}}}]")], "prod/client", "prod/web", "TCP", 8080, true },
        { "rules add up: the deny-all still holds for the rest", [DenyProdIngress, WebIngress("  - from: [{podSelector: {matchLabels: {app: client}}}]")], "prod/client", "prod/db", "TCP", 5432, false },
        { "policyTypes default: egress rules make an egress policy", [Policy("prod", "e", "  podSelector: {}\n  egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]")], "prod/web", "dev/web", "TCP", 8081, false },
        { "policyTypes default: and it is an ingress policy too", [Policy("prod", "e", "  podSelector: {}\n  egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]")], "dev/client", "prod/web", "TCP", 8080, false },
        { "policyTypes [Ingress]: egress rules are ignored", [Policy("prod", "e", "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress: [{}]\n  egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]")], "prod/web", "dev/web", "TCP", 8081, true },

        { "egress to a pod peer", [WebEgress("  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 5432}]")], "prod/web", "prod/db", "TCP", 5432, true },
        { "egress elsewhere denied", [WebEgress("  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 5432}]")], "prod/web", "dev/web", "TCP", 8081, false },
        { "egress to the world denied", [WebEgress("  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 5432}]")], "prod/web", "10.0.0.5", "TCP", 5432, false },
        { "egress to an ipBlock", [WebEgress("  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.42.0.0/16]}}]")], "prod/web", "10.0.0.5", "TCP", 443, true },
        { "egress to an ipBlock except", [WebEgress("  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.42.0.0/16]}}]")], "prod/web", "dev/web", "TCP", 8081, false },
        { "egress named port: the peer's number", [WebEgress("  - to: [{namespaceSelector: {}}]\n    ports: [{port: http}]")], "prod/web", "dev/web", "TCP", 8081, true },
        { "egress named port: not another number", [WebEgress("  - to: [{namespaceSelector: {}}]\n    ports: [{port: http}]")], "prod/web", "dev/web", "TCP", 8080, false },
        { "egress named port without peers: any pod with it", [WebEgress("  - ports: [{port: stats, protocol: UDP}]")], "prod/web", "dev/web", "UDP", 8125, true },
        { "egress named port: no meaning outside pods", [WebEgress("  - ports: [{port: stats, protocol: UDP}]")], "prod/web", "10.0.0.5", "UDP", 8125, false },
        { "egress to DNS by kube-dns selectors", [DenyProdEgress, WebEgress("  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]")], "prod/web", "dns", "UDP", 53, true },
        { "egress to DNS over TCP too", [DenyProdEgress, WebEgress("  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]")], "prod/web", "dns", "TCP", 53, true },
        { "egress to DNS: not another resolver", [DenyProdEgress, WebEgress("  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n    ports: [{protocol: UDP, port: 53}]")], "prod/web", "10.0.0.5", "UDP", 53, false },
        { "egress to DNS by port only", [WebEgress("  - ports: [{protocol: UDP, port: 53}]")], "prod/web", "dns", "UDP", 53, true },
        { "egress to DNS by its named port", [WebEgress("  - ports: [{protocol: UDP, port: dns}]")], "prod/web", "dns", "UDP", 53, true },
        { "egress and ingress both judge a connection: egress allows, ingress denies", [WebEgress("  - {}"), Policy("prod", "db", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]")], "prod/web", "prod/db", "TCP", 5432, false },
        { "egress and ingress both judge a connection: both allow", [WebEgress("  - {}"), Policy("prod", "db", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]")], "prod/web", "prod/db", "TCP", 5432, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Connections_are_allowed_as_Kubernetes_says(string name, string[] policies, string from, string to, string protocol, int port, bool allowed)
    {
        PolicyInputs inputs = Inputs(policies);
        Assert.True(Allowed(inputs, from, to, protocol, port) == allowed, $"{name}: {from} -> {to} {protocol}/{port} should be {(allowed ? "allowed" : "denied")}");
    }

    [Fact]
    public void Pods_isolated_by_the_same_policies_share_a_chain_and_the_rest_are_not_in_the_maps()
    {
        PolicyDataplane node1 = NetworkPolicyCompiler.Compile(Inputs([DenyProdIngress, WebIngress("  - ports: [{port: http}]")]), Node1);
        string web = node1.IngressPods[Address("prod/web")];
        Assert.Equal(web, node1.IngressPods[Address("prod/web2")]);
        Assert.NotEqual(web, node1.IngressPods[Address("prod/db")]);
        Assert.Equal(["prod/deny-ingress", "prod/web-ingress"], node1.Chains[web].Policies);
        Assert.Empty(node1.EgressPods);
        // node-2's pods are not node-1's business; there, prod's pod is isolated and dev's are not.
        Assert.DoesNotContain(Address("prod/client"), node1.IngressPods.Keys);
        Assert.Equal([Address("prod/client")], NetworkPolicyCompiler.Compile(Inputs([DenyProdIngress]), Node2).IngressPods.Keys);
    }

    [Fact]
    public void The_same_state_compiles_to_the_same_names()
    {
        string[] policies = [DenyProdEgress, WebIngress("  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]")];
        PolicyDataplane first = NetworkPolicyCompiler.Compile(Inputs(policies), Node1);
        PolicyDataplane second = NetworkPolicyCompiler.Compile(Inputs(policies.Reverse()), Node1);
        Assert.Equal(first.Chains.Keys, second.Chains.Keys);
        Assert.Equal(first.Sets.Keys, second.Sets.Keys);
    }

    [Fact]
    public void Finished_and_host_network_pods_are_neither_isolated_nor_peers()
    {
        var done = Pod("prod", "job", "client", Node1, "10.42.1.50");
        done.Status.Phase = "Succeeded";
        var host = Pod("prod", "agent", "client", Node1, "172.20.0.1");
        host.Spec.HostNetwork = true;
        var pending = Pod("prod", "new", "client", Node1, "10.42.1.51");
        pending.Status.PodIP = null;
        Assert.Null(PodEndpoint.From(done));
        Assert.Null(PodEndpoint.From(host));
        Assert.Null(PodEndpoint.From(pending));
    }
}
