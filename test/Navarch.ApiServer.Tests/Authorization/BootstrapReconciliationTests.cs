using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Authorization;

/// <summary>
/// The RBAC post-start hook against a real server restarted on its data: default roles and bindings get back what was
/// taken from them and keep what was added, unless annotated autoupdate=false; the aggregated defaults work from the
/// first start, before any aggregation controller runs.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BootstrapReconciliationTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync(authorizationMode: "RBAC");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_restart_restores_what_defaults_lost_and_keeps_what_was_added()
    {
        Kubernetes admin = _host.Client;
        V1ClusterRole edit = await admin.RbacAuthorizationV1.ReadClusterRoleAsync("edit");
        Assert.Contains(edit.Rules, r => r.Resources.Contains("deployments") && r.Verbs.Contains("create"));

        V1ClusterRole basic = await admin.RbacAuthorizationV1.ReadClusterRoleAsync("system:basic-user");
        basic.Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get"] }];
        await admin.RbacAuthorizationV1.ReplaceClusterRoleAsync(basic, "system:basic-user");
        V1ClusterRole monitoring = await admin.RbacAuthorizationV1.ReadClusterRoleAsync("system:monitoring");
        monitoring.Rules = [];
        monitoring.Metadata.Annotations["rbac.authorization.kubernetes.io/autoupdate"] = "false";
        await admin.RbacAuthorizationV1.ReplaceClusterRoleAsync(monitoring, "system:monitoring");
        V1ClusterRoleBinding discovery = await admin.RbacAuthorizationV1.ReadClusterRoleBindingAsync("system:discovery");
        discovery.Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = "extra" }];
        await admin.RbacAuthorizationV1.ReplaceClusterRoleBindingAsync(discovery, "system:discovery");
        await admin.RbacAuthorizationV1.DeleteClusterRoleAsync("system:public-info-viewer");

        await _host.RestartAsync();

        basic = await admin.RbacAuthorizationV1.ReadClusterRoleAsync("system:basic-user");
        Assert.Contains(basic.Rules, r => r.Resources.Contains("configmaps"));
        Assert.Contains(basic.Rules, r => r.Resources.Contains("selfsubjectrulesreviews"));
        Assert.Empty((await admin.RbacAuthorizationV1.ReadClusterRoleAsync("system:monitoring")).Rules ?? []);
        Assert.Equal(["extra", "system:authenticated"], (await admin.RbacAuthorizationV1.ReadClusterRoleBindingAsync("system:discovery")).Subjects.Select(s => s.Name));
        Assert.NotNull(await admin.RbacAuthorizationV1.ReadClusterRoleAsync("system:public-info-viewer"));
    }
}
