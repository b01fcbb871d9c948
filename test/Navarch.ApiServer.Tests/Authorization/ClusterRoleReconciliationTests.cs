using k8s.Models;
using Navarch.ApiServer.Authorization;

namespace Navarch.ApiServer.Tests.Authorization;

/// <summary>The RBAC post-start hook's union reconciliation (pkg/registry/rbac/reconciliation).</summary>
[Trait("Category", "Unit")]
public sealed class ClusterRoleReconciliationTests
{
    private static V1PolicyRule Rule(string verb, string resource) => new() { ApiGroups = [""], Resources = [resource], Verbs = [verb] };

    private static V1ClusterRole Expected() => new()
    {
        Metadata = BootstrapPolicy.Meta("r"),
        Rules = [Rule("get", "pods"), Rule("list", "pods")],
    };

    [Fact]
    public void Missing_rules_and_metadata_come_back_and_added_ones_stay()
    {
        var existing = new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "r", Labels = new Dictionary<string, string> { ["mine"] = "yes" } },
            Rules = [Rule("get", "pods"), Rule("get", "secrets")],
        };
        V1ClusterRole reconciled = ClusterRoleReconciliation.Reconcile(existing, Expected())!;
        Assert.Equal(["get/pods", "get/secrets", "list/pods"], reconciled.Rules.Select(r => $"{r.Verbs[0]}/{r.Resources[0]}"));
        Assert.Equal("yes", reconciled.Metadata.Labels["mine"]);
        Assert.Equal("rbac-defaults", reconciled.Metadata.Labels["kubernetes.io/bootstrapping"]);
        Assert.Equal("true", reconciled.Metadata.Annotations["rbac.authorization.kubernetes.io/autoupdate"]);
    }

    [Fact]
    public void A_role_that_has_everything_is_left_as_it_is_and_a_protected_one_always()
    {
        V1ClusterRole complete = Expected();
        complete.Rules.Add(Rule("delete", "pods"));
        Assert.Null(ClusterRoleReconciliation.Reconcile(complete, Expected()));
        V1ClusterRole shrunk = Expected();
        shrunk.Rules = [];
        shrunk.Metadata.Annotations["rbac.authorization.kubernetes.io/autoupdate"] = "false";
        Assert.Null(ClusterRoleReconciliation.Reconcile(shrunk, Expected()));
    }

    [Fact]
    public void An_aggregation_selector_is_added_beside_the_ones_a_user_added()
    {
        V1LabelSelector Selector(string label) => new() { MatchLabels = new Dictionary<string, string> { [label] = "true" } };
        var expected = new V1ClusterRole { Metadata = BootstrapPolicy.Meta("edit"), AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [Selector("a")] } };
        var existing = new V1ClusterRole { Metadata = BootstrapPolicy.Meta("edit"), AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [Selector("mine")] } };
        V1ClusterRole reconciled = ClusterRoleReconciliation.Reconcile(existing, expected)!;
        Assert.Equal(["mine", "a"], reconciled.AggregationRule.ClusterRoleSelectors.Select(s => s.MatchLabels.Keys.Single()));
    }

    [Fact]
    public void A_binding_gets_its_subjects_back_keeps_added_ones_and_is_recreated_for_another_role()
    {
        V1ClusterRoleBinding expected = BootstrapPolicy.ClusterRoleBindings().Single(b => b.Metadata.Name == "system:basic-user");
        var existing = new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "system:basic-user" },
            RoleRef = expected.RoleRef,
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "extra", ApiGroup = "rbac.authorization.k8s.io" }],
        };
        (ClusterRoleBindingReconciliation.Operation operation, V1ClusterRoleBinding binding) = ClusterRoleBindingReconciliation.Reconcile(existing, expected);
        Assert.Equal(ClusterRoleBindingReconciliation.Operation.Update, operation);
        Assert.Equal(["extra", "system:authenticated"], binding.Subjects.Select(s => s.Name));
        existing.RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" };
        Assert.Equal(ClusterRoleBindingReconciliation.Operation.Recreate, ClusterRoleBindingReconciliation.Reconcile(existing, expected).Operation);
    }
}
