using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Registry.Pods;

/// <summary>
/// pods/ephemeralcontainers is authorized as a subresource of its own: rights on pods (the bootstrap edit role, as in
/// Kubernetes) do not reach it; a rule naming <c>pods/ephemeralcontainers</c> does.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EphemeralContainersRbacTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync(authorizationMode: "RBAC");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Patching_ephemeral_containers_needs_a_rule_for_the_subresource()
    {
        Kubernetes admin = _host.Client;
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "debugger" } }, "default");
        string token = (await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, "debugger", "default")).Status.Token;
        var subject = new Rbacv1Subject { Kind = "ServiceAccount", Name = "debugger", NamespaceProperty = "default" };
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(
            new V1RoleBinding { Metadata = new V1ObjectMeta { Name = "edit" }, RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "edit" }, Subjects = [subject] },
            "default");
        await admin.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "target" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "busybox" }] } }, "default");

        (HttpStatusCode code, JsonNode body) = await PatchAsync(token, "first");
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("pods \"target\" is forbidden: User \"system:serviceaccount:default:debugger\" cannot patch resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"default\"", (string?)body["message"]);

        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(
            new V1Role { Metadata = new V1ObjectMeta { Name = "debug" }, Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods/ephemeralcontainers"], Verbs = ["patch"] }] },
            "default");
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(
            new V1RoleBinding { Metadata = new V1ObjectMeta { Name = "debug" }, RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "debug" }, Subjects = [subject] },
            "default");
        await Polling.Eventually(async () => (await PatchAsync(token, "first")).Code == HttpStatusCode.OK, "the Role to take effect");
        Assert.Equal("first", (await admin.CoreV1.ReadNamespacedPodAsync("target", "default")).Spec.EphemeralContainers.Single().Name);
    }

    private async Task<(HttpStatusCode Code, JsonNode Body)> PatchAsync(string token, string container)
    {
        using HttpClient http = _host.NewHttp(withClientCertificate: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri("/api/v1/namespaces/default/pods/target/ephemeralcontainers", UriKind.Relative))
        {
            Content = new StringContent($$$"""{"spec":{"ephemeralContainers":[{"name":"{{{container}}}","image":"busybox"}]}}""", Encoding.UTF8, MediaTypeHeaderValue.Parse("application/strategic-merge-patch+json")),
        };
        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
