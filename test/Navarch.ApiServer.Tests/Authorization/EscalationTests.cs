using System.Net;
using k8s;
using k8s.Models;
using static Navarch.ApiServer.Tests.Authorization.RbacServer;

namespace Navarch.ApiServer.Tests.Authorization;

/// <summary>
/// RBAC escalation prevention against a real server with real identities (service account tokens, token-file users):
/// the reproductions — a service account that may only create ClusterRoleBindings, a namespace admin — and
/// Kubernetes' rules for escalate, bind, aggregationRule and the garbage collector's updates.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EscalationTests(RbacServer server) : IClassFixture<RbacServer>
{
    private static string Groups(string ns) => $"[\"system:serviceaccounts\" \"system:serviceaccounts:{ns}\" \"system:authenticated\"]";

    [Fact]
    public async Task A_service_account_that_may_create_cluster_role_bindings_cannot_bind_itself_to_cluster_admin_until_it_may_bind_it()
    {
        string token = await server.ServiceAccountTokenAsync("default", "binder");
        await server.GrantAsync("crb-creator", ServiceAccount("default", "binder"), null, Rule("rbac.authorization.k8s.io", "clusterrolebindings", "create"));
        using Kubernetes binder = server.As(token);
        var escalate = new V1ClusterRoleBinding { Metadata = new V1ObjectMeta { Name = "escalate" }, RoleRef = ClusterRoleRef("cluster-admin"), Subjects = [ServiceAccount("default", "binder")] };

        (HttpStatusCode code, string message) = await RefusedAsync(() => binder.RbacAuthorizationV1.CreateClusterRoleBindingAsync(escalate));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal(
            "clusterrolebindings.rbac.authorization.k8s.io \"escalate\" is forbidden: user \"system:serviceaccount:default:binder\" (groups=" + Groups("default") + ") "
            + "is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}",
            message);
        Assert.Equal(HttpStatusCode.Forbidden, (await RefusedAsync(() => binder.CoreV1.ListSecretForAllNamespacesAsync())).Code);

        // The bind verb on that one role is what lets a delegate hand it out.
        await server.GrantAsync("bind-cluster-admin", ServiceAccount("default", "binder"), null,
            new V1PolicyRule { ApiGroups = ["rbac.authorization.k8s.io"], Resources = ["clusterroles"], ResourceNames = ["cluster-admin"], Verbs = ["bind"] });
        await binder.RbacAuthorizationV1.CreateClusterRoleBindingAsync(escalate);
    }

    [Fact]
    public async Task A_namespace_admin_cannot_grant_everything_nor_bind_itself_to_cluster_admin_or_system_node()
    {
        string token = await server.ServiceAccountTokenAsync("team", "boss");
        await server.Admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(
            new V1RoleBinding { Metadata = new V1ObjectMeta { Name = "boss-admin" }, RoleRef = ClusterRoleRef("admin"), Subjects = [ServiceAccount("team", "boss")] }, "team");
        using Kubernetes boss = server.As(token);
        string groups = Groups("team");

        (HttpStatusCode code, string message) = await RefusedAsync(() => boss.RbacAuthorizationV1.CreateNamespacedRoleAsync(
            new V1Role { Metadata = new V1ObjectMeta { Name = "everything" }, Rules = [new V1PolicyRule { ApiGroups = ["*"], Resources = ["*"], Verbs = ["*"] }] }, "team"));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal(
            $"roles.rbac.authorization.k8s.io \"everything\" is forbidden: user \"system:serviceaccount:team:boss\" (groups={groups}) is attempting to grant RBAC permissions not currently held:\n{{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}}",
            message);

        foreach (string role in new[] { "cluster-admin", "system:node" })
        {
            (code, message) = await RefusedAsync(() => boss.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(
                new V1RoleBinding { Metadata = new V1ObjectMeta { Name = "mine" }, RoleRef = ClusterRoleRef(role), Subjects = [ServiceAccount("team", "boss")] }, "team"));
            Assert.Equal(HttpStatusCode.Forbidden, code);
            Assert.StartsWith($"rolebindings.rbac.authorization.k8s.io \"mine\" is forbidden: user \"system:serviceaccount:team:boss\" (groups={groups}) is attempting to grant RBAC permissions not currently held:\n", message, StringComparison.Ordinal);
        }

        (code, message) = await RefusedAsync(() => boss.RbacAuthorizationV1.CreateClusterRoleBindingAsync(
            new V1ClusterRoleBinding { Metadata = new V1ObjectMeta { Name = "mine" }, RoleRef = ClusterRoleRef("cluster-admin"), Subjects = [ServiceAccount("team", "boss")] }));
        Assert.Equal((HttpStatusCode.Forbidden, "clusterrolebindings.rbac.authorization.k8s.io is forbidden: User \"system:serviceaccount:team:boss\" cannot create resource \"clusterrolebindings\" in API group \"rbac.authorization.k8s.io\" at the cluster scope"), (code, message));

        // What it holds it may grant: a narrower role, a binding to edit.
        await boss.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role { Metadata = new V1ObjectMeta { Name = "readers" }, Rules = [Rule("", "pods", "get", "list")] }, "team");
        await boss.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(
            new V1RoleBinding { Metadata = new V1ObjectMeta { Name = "editors" }, RoleRef = ClusterRoleRef("edit"), Subjects = [User("alice")] }, "team");
        await server.Admin.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync("boss-admin", "team");
    }

    [Fact]
    public async Task Updates_and_patches_are_checked_but_the_garbage_collectors_finalizers_and_owners_are_not()
    {
        string token = await server.ServiceAccountTokenAsync("upd", "editor");
        await server.GrantAsync("role-writer", ServiceAccount("upd", "editor"), "upd", Rule("rbac.authorization.k8s.io", "roles", "get", "update", "patch"), Rule("", "pods", "get"));
        await server.Admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role { Metadata = new V1ObjectMeta { Name = "small" }, Rules = [Rule("", "pods", "get")] }, "upd");
        await server.Admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role { Metadata = new V1ObjectMeta { Name = "big" }, Rules = [Rule("", "nodes", "get")] }, "upd");
        using Kubernetes editor = server.As(token);

        V1Role small = await editor.RbacAuthorizationV1.ReadNamespacedRoleAsync("small", "upd");
        small.Rules.Add(Rule("", "secrets", "get"));
        (HttpStatusCode code, string message) = await RefusedAsync(() => editor.RbacAuthorizationV1.ReplaceNamespacedRoleAsync(small, "small", "upd"));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.EndsWith("is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}", message, StringComparison.Ordinal);
        var addSecrets = new V1Patch("""{"rules":[{"apiGroups":[""],"resources":["pods","secrets"],"verbs":["get"]}]}""", V1Patch.PatchType.MergePatch);
        Assert.Equal(HttpStatusCode.Forbidden, (await RefusedAsync(() => editor.RbacAuthorizationV1.PatchNamespacedRoleAsync(addSecrets, "small", "upd"))).Code);
        Assert.Single((await server.Admin.RbacAuthorizationV1.ReadNamespacedRoleAsync("small", "upd")).Rules);

        // "big" grants what the editor lacks: a finalizer may still be set (IsOnlyMutatingGCFields), a label may not.
        await editor.RbacAuthorizationV1.PatchNamespacedRoleAsync(new V1Patch("""{"metadata":{"finalizers":["example.com/keep"]}}""", V1Patch.PatchType.MergePatch), "big", "upd");
        Assert.Equal(HttpStatusCode.Forbidden, (await RefusedAsync(() => editor.RbacAuthorizationV1.PatchNamespacedRoleAsync(
            new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "big", "upd"))).Code);
        await server.Admin.RbacAuthorizationV1.PatchNamespacedRoleAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "big", "upd");
    }

    [Fact]
    public async Task The_message_names_the_user_and_its_groups_and_escalate_lets_a_writer_grant_more_than_it_holds()
    {
        await server.GrantAsync("u-clusterroles", User("u"), null, Rule("rbac.authorization.k8s.io", "clusterroles", "create"));
        using Kubernetes u = server.As(UToken);
        var secretsReader = new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "x" }, Rules = [Rule("", "secrets", "get")] };
        (HttpStatusCode code, string message) = await RefusedAsync(() => u.RbacAuthorizationV1.CreateClusterRoleAsync(secretsReader));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal(
            "clusterroles.rbac.authorization.k8s.io \"x\" is forbidden: user \"u\" (groups=[\"a\" \"b\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}",
            message);

        await server.GrantAsync("u-escalate", User("u"), null, Rule("rbac.authorization.k8s.io", "clusterroles", "escalate"));
        await u.RbacAuthorizationV1.CreateClusterRoleAsync(secretsReader);
    }

    [Fact]
    public async Task An_aggregation_rule_needs_every_permission_and_a_binding_to_a_missing_role_is_not_found()
    {
        await server.GrantAsync("alice-rbac", User("alice"), null,
            Rule("rbac.authorization.k8s.io", "clusterroles", "create"), Rule("rbac.authorization.k8s.io", "clusterrolebindings", "create"), Rule("", "pods", "get"));
        using Kubernetes alice = server.As(AliceToken);
        var aggregated = new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "gather" },
            AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["x"] = "y" } }] },
        };
        Assert.Equal(
            (HttpStatusCode.Forbidden, "clusterroles.rbac.authorization.k8s.io \"gather\" is forbidden: must have cluster-admin privileges to use the aggregationRule"),
            await RefusedAsync(() => alice.RbacAuthorizationV1.CreateClusterRoleAsync(aggregated)));

        Assert.Equal(
            (HttpStatusCode.NotFound, "clusterroles.rbac.authorization.k8s.io \"nope\" not found"),
            await RefusedAsync(() => alice.RbacAuthorizationV1.CreateClusterRoleBindingAsync(
                new V1ClusterRoleBinding { Metadata = new V1ObjectMeta { Name = "to-nothing" }, RoleRef = ClusterRoleRef("nope"), Subjects = [User("alice")] })));

        // A role whose rules the writer holds may be bound without bind.
        await alice.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "pod-getter" }, Rules = [Rule("", "pods", "get")] });
        await alice.RbacAuthorizationV1.CreateClusterRoleBindingAsync(
            new V1ClusterRoleBinding { Metadata = new V1ObjectMeta { Name = "pod-getter" }, RoleRef = ClusterRoleRef("pod-getter"), Subjects = [User("alice")] });
    }
}
