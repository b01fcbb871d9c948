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
}
