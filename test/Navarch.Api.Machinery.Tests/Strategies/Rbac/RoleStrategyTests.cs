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

    [Fact]
    public void A_binding_refers_to_an_rbac_role_and_a_cluster_binding_to_a_cluster_role()
    {
        static V1RoleRef Ref(string group, string kind) => new() { ApiGroup = group, Kind = kind, Name = "r" };
        var binding = new V1RoleBinding { Metadata = new V1ObjectMeta { Name = "b", NamespaceProperty = "ns" }, RoleRef = Ref("example.com", "Policy") };
        var rb = RoleBindingStrategy.Create<V1RoleBinding>(b => b.RoleRef, b => b.Subjects);
        Assert.Equal(
            ["roleRef.apiGroup: Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"", "roleRef.kind: Unsupported value: \"Policy\": supported values: \"Role\", \"ClusterRole\""],
            StrategyHarness.Create(rb, binding).Select(e => e.ToString()));
        binding.RoleRef = Ref("rbac.authorization.k8s.io", "Role");
        Assert.Empty(StrategyHarness.Create(rb, binding));

        var clusterBinding = new V1ClusterRoleBinding { Metadata = new V1ObjectMeta { Name = "b" }, RoleRef = Ref("rbac.authorization.k8s.io", "Role") };
        Assert.Equal(["roleRef.kind"], StrategyHarness.Create(RoleBindingStrategy.Create<V1ClusterRoleBinding>(b => b.RoleRef, b => b.Subjects), clusterBinding).Select(e => e.Field));
    }
}
