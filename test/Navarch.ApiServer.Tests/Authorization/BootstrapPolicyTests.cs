using k8s.Models;
using Navarch.Api.Rbac;
using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Authorization.Rbac;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Authorization;

/// <summary>
/// The default roles hold what Kubernetes' bootstrap policy gives them: admin ⊃ edit ⊃ view by aggregation, edit writes
/// no quota, limits, endpoints, endpoint slices or leases and view reads no secrets; every default object is labelled
/// and annotated for reconciliation.
/// </summary>
[Trait("Category", "Unit")]
public sealed class BootstrapPolicyTests
{
    private static readonly List<V1ClusterRole> Roles = BootstrapPolicy.ClusterRoles().ToList();

    private static readonly List<V1ClusterRole> Settled = Aggregate();

    private static List<V1ClusterRole> Aggregate()
    {
        List<V1ClusterRole> roles = BootstrapPolicy.ClusterRoles().ToList();
        ClusterRoleAggregation.AggregateAll(roles);
        return roles;
    }

    private static IList<V1PolicyRule> Aggregated(string name) => Settled.Single(r => r.Metadata.Name == name).Rules;

    private static bool Allows(string role, string verb, string group, string resource, string? sub = null) =>
        RuleMatching.AnyAllows(Aggregated(role), new RequestAttributes(new UserInfo("u", "", []), verb, group, resource, sub, "team", null));

    public static TheoryData<string, string, string, string, string?, bool> Grants => new()
    {
        { "edit", "create", "apps", "deployments", null, true },
        { "edit", "create", "", "pods", "exec", true },
        { "edit", "update", "", "secrets", null, true },
        { "edit", "impersonate", "", "serviceaccounts", null, true },
        { "edit", "create", "", "resourcequotas", null, false },
        { "edit", "update", "", "limitranges", null, false },
        { "edit", "create", "", "endpoints", null, false },
        { "edit", "create", "discovery.k8s.io", "endpointslices", null, false },
        { "edit", "update", "coordination.k8s.io", "leases", null, false },
        { "edit", "update", "", "pods", "status", false },
        { "edit", "create", "rbac.authorization.k8s.io", "roles", null, false },
        { "edit", "get", "", "resourcequotas", null, true },
        { "view", "get", "", "pods", "log", true },
        { "view", "list", "", "secrets", null, false },
        { "view", "create", "", "configmaps", null, false },
        { "admin", "create", "rbac.authorization.k8s.io", "rolebindings", null, true },
        { "admin", "create", "authorization.k8s.io", "localsubjectaccessreviews", null, true },
        { "admin", "delete", "apps", "statefulsets", null, true },
        { "admin", "create", "", "resourcequotas", null, false },
    };

    [Theory]
    [MemberData(nameof(Grants))]
    public void The_user_facing_roles_aggregate_Kubernetes_rules(string role, string verb, string group, string resource, string? sub, bool allowed) =>
        Assert.Equal(allowed, Allows(role, verb, group, resource, sub));

    [Fact]
    public void Admin_edit_and_view_are_aggregated_and_chained_by_their_labels()
    {
        V1ClusterRole edit = Roles.Single(r => r.Metadata.Name == "edit");
        Assert.Null(edit.Rules);
        Assert.Equal("true", edit.AggregationRule.ClusterRoleSelectors.Single().MatchLabels["rbac.authorization.k8s.io/aggregate-to-edit"]);
        Assert.Equal("true", edit.Metadata.Labels["rbac.authorization.k8s.io/aggregate-to-admin"]);
        Assert.Equal("true", Roles.Single(r => r.Metadata.Name == "view").Metadata.Labels["rbac.authorization.k8s.io/aggregate-to-edit"]);
        Assert.Subset(Aggregated("admin").Select(PolicyRuleFormat.CompactString).ToHashSet(), Aggregated("edit").Select(PolicyRuleFormat.CompactString).ToHashSet());
    }

    [Fact]
    public void Every_default_object_is_labelled_and_annotated_and_binds_an_existing_role()
    {
        IEnumerable<V1ObjectMeta> metas = Roles.Select(r => r.Metadata).Concat(BootstrapPolicy.ClusterRoleBindings().Select(b => b.Metadata));
        Assert.All(metas, m =>
        {
            Assert.Equal("rbac-defaults", m.Labels["kubernetes.io/bootstrapping"]);
            Assert.Equal("true", m.Annotations["rbac.authorization.kubernetes.io/autoupdate"]);
        });
        HashSet<string> names = Roles.Select(r => r.Metadata.Name).ToHashSet();
        Assert.Equal(names.Count, Roles.Count);
        Assert.All(BootstrapPolicy.ClusterRoleBindings(), b => Assert.Contains(b.RoleRef.Name, names));
        Assert.Contains("system:controller:clusterrole-aggregation-controller", names);
    }

    [Fact]
    public void Discovery_and_basic_user_go_to_every_authenticated_user_and_public_info_to_everyone()
    {
        Dictionary<string, V1ClusterRoleBinding> bindings = BootstrapPolicy.ClusterRoleBindings().ToDictionary(b => b.Metadata.Name);
        Assert.Equal(["system:authenticated"], bindings["system:discovery"].Subjects.Select(s => s.Name));
        Assert.Equal(["system:authenticated"], bindings["system:basic-user"].Subjects.Select(s => s.Name));
        Assert.Equal(["system:authenticated", "system:unauthenticated"], bindings["system:public-info-viewer"].Subjects.Select(s => s.Name));
        Assert.Equal(["system:masters"], bindings["cluster-admin"].Subjects.Select(s => s.Name));
        Assert.Equal(("ServiceAccount", "kube-system", "job-controller"), bindings["system:controller:job-controller"].Subjects.Select(s => (s.Kind, s.NamespaceProperty, s.Name)).Single());
    }
}
