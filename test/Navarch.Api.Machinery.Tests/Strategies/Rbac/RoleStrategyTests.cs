using k8s.Models;
using Navarch.Api.Strategies.Rbac;

namespace Navarch.Api.Machinery.Tests.Strategies.Rbac;

[Trait("Category", "Unit")]
public sealed class RoleStrategyTests
{
    [Fact]
    public void Rbac_rules_need_verbs_and_api_groups()
    {
        var role = new V1Role { Metadata = new V1ObjectMeta { Name = "system:r" }, Rules = [new V1PolicyRule { Resources = ["pods"] }] };
        Assert.Equal(["rules[0].verbs", "rules[0].apiGroups"], StrategyHarness.Create(RoleStrategy.Create<V1Role>(r => r.Rules), role).Select(e => e.Field));
    }
}
