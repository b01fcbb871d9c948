using k8s.Models;
using Navarch.Api.Strategies.Networking;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Networking;

[Trait("Category", "Unit")]
public sealed class NetworkPolicyStrategyTests
{
    [Fact]
    public void Policy_types_and_rule_ports_are_checked()
    {
        var policy = new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = "validated-policy" },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector(),
                PolicyTypes = ["Sideways"],
                Ingress = [new V1NetworkPolicyIngressRule { Ports = [new V1NetworkPolicyPort { Protocol = "ICMP", Port = 80, EndPort = 79 }] }],
            },
        };
        IReadOnlyList<FieldError> errors = Create(NetworkPolicyStrategy.Create(), policy);
        AssertInvalid(errors, "spec.policyTypes[0]", "supported values");
        AssertInvalid(errors, "spec.ingress[0].ports[0].protocol", "supported values");
        AssertInvalid(errors, "spec.ingress[0].ports[0].endPort", "greater than or equal to `port`");
    }

    [Fact]
    public void Peers_need_one_kind_and_an_ipBlock_a_cidr_with_strict_subsets_as_excepts()
    {
        V1NetworkPolicyPeer Block(string cidr, params string[] except) => new() { IpBlock = new V1IPBlock { Cidr = cidr, Except = except } };
        var policy = new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = "peers" },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector(),
                Ingress =
                [
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty =
                        [
                            new V1NetworkPolicyPeer(),
                            new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "10.0.0.0/8" }, PodSelector = new V1LabelSelector() },
                            Block("10.0.0/8"),
                            Block("10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/8", "192.168.0.0/24", "fd00::/64", "nonsense"),
                            Block("fd00::/8", "fd00:1::/64"),
                        ],
                    },
                ],
                Egress = [new V1NetworkPolicyEgressRule { Ports = [new V1NetworkPolicyPort { EndPort = 90 }] }],
            },
        };
        IReadOnlyList<FieldError> errors = Create(NetworkPolicyStrategy.Create(), policy);
        AssertInvalid(errors, "spec.ingress[0].from[0]", "must specify a peer");
        AssertInvalid(errors, "spec.ingress[0].from[1]", "may not specify both ipBlock and another peer");
        AssertInvalid(errors, "spec.ingress[0].from[2].ipBlock.cidr", "must be a valid CIDR value");
        AssertInvalid(errors, "spec.ingress[0].from[3].ipBlock.except[1]", "must be a strict subset of `cidr`");
        AssertInvalid(errors, "spec.ingress[0].from[3].ipBlock.except[2]", "must be a strict subset of `cidr`");
        AssertInvalid(errors, "spec.ingress[0].from[3].ipBlock.except[3]", "must be a strict subset of `cidr`");
        AssertInvalid(errors, "spec.ingress[0].from[3].ipBlock.except[4]", "must be a valid CIDR value");
        AssertInvalid(errors, "spec.egress[0].ports[0].endPort", "may not be specified when `port` is not specified");
        Assert.DoesNotContain(errors, e => e.Field.StartsWith("spec.ingress[0].from[4]", StringComparison.Ordinal) || e.Field == "spec.ingress[0].from[3].ipBlock.except[0]");
        Assert.Equal(8, errors.Count);
    }

    [Fact]
    public void Policy_types_default_from_the_rules_and_port_protocols_to_TCP()
    {
        V1NetworkPolicy Make(bool egress) => new()
        {
            Metadata = new V1ObjectMeta { Name = "defaults" },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector(),
                Ingress = [new V1NetworkPolicyIngressRule { Ports = [new V1NetworkPolicyPort { Port = 80 }] }],
                Egress = egress ? [new V1NetworkPolicyEgressRule()] : null,
            },
        };
        V1NetworkPolicy ingressOnly = Make(egress: false), both = Make(egress: true);
        Assert.Empty(Create(NetworkPolicyStrategy.Create(), ingressOnly));
        Assert.Empty(Create(NetworkPolicyStrategy.Create(), both));
        Assert.Equal(["Ingress"], ingressOnly.Spec.PolicyTypes);
        Assert.Equal(["Ingress", "Egress"], both.Spec.PolicyTypes);
        Assert.Equal("TCP", ingressOnly.Spec.Ingress[0].Ports[0].Protocol);
    }
}
