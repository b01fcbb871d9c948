using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// <c>--authorization-mode RBAC</c>: a service account may do only what Roles and ClusterRoles bound to it (as itself,
/// or through its groups) allow — by verb, group, resource, subresource and name — with Kubernetes' 403 message, and
/// <c>system:masters</c> may do anything; the default policy (cluster-admin, admin, edit, view, system:node, system:node-proxier) exists.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RbacTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    private Kubernetes Admin => _host.Client;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync(authorizationMode: "RBAC");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpStatusCode Code, string Body)> AsAsync(string token, HttpMethod method, string path, object? body = null)
    {
        using HttpClient http = _host.NewHttp(withClientCertificate: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(KubernetesJson.Serialize(body), System.Text.Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Message(string status) => JsonDocument.Parse(status).RootElement.GetProperty("message").GetString()!;

    private async Task<string> TokenForAsync(string account)
    {
        await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = account } }, "default");
        return (await Admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, account, "default")).Status.Token;
    }

    private static V1RoleBinding RoleBinding(string name, string kind, string role, Rbacv1Subject subject) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = kind, Name = role },
        Subjects = [subject],
    };

    private static Rbacv1Subject Account(string name) => new() { Kind = "ServiceAccount", Name = name, NamespaceProperty = "default" };

    [Fact]
    public async Task A_service_account_may_do_only_what_its_bindings_grant()
    {
        Assert.Subset((await Admin.RbacAuthorizationV1.ListClusterRoleAsync()).Items.Select(r => r.Metadata.Name).ToHashSet(), new HashSet<string> { "admin", "cluster-admin", "edit", "system:node", "system:node-proxier", "system:navarch:network-policy-controller", "view" });
        string token = await TokenForAsync("bot");
        await Admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "open" } }, "default");
        await Admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "closed" } }, "default");

        (HttpStatusCode code, string body) = await AsAsync(token, HttpMethod.Get, "/api/v1/namespaces/default/pods");
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:default:bot\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());

        // view through a RoleBinding: reads in default only, no writes.
        await Admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(RoleBinding("bot-view", "ClusterRole", "view", Account("bot")), "default");
        Assert.Equal(HttpStatusCode.OK, (await AsAsync(token, HttpMethod.Get, "/api/v1/namespaces/default/pods")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(token, HttpMethod.Get, "/api/v1/namespaces/kube-system/pods")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(token, HttpMethod.Get, "/api/v1/namespaces/default/secrets")).Code);
        var pod = new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] } };
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(token, HttpMethod.Post, "/api/v1/namespaces/default/pods", pod)).Code);

        // A Role naming resources and a subresource.
        await Admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "narrow" },
            Rules =
            [
                new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["open"], Verbs = ["get", "update"] },
                new V1PolicyRule { ApiGroups = ["apps"], Resources = ["deployments/scale"], Verbs = ["get"] },
            ],
        }, "default");
        string narrow = await TokenForAsync("narrow-bot");
        await Admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(RoleBinding("narrow", "Role", "narrow", Account("narrow-bot")), "default");
        Assert.Equal(HttpStatusCode.OK, (await AsAsync(narrow, HttpMethod.Get, "/api/v1/namespaces/default/configmaps/open")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(narrow, HttpMethod.Get, "/api/v1/namespaces/default/configmaps/closed")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await AsAsync(narrow, HttpMethod.Get, "/api/v1/namespaces/default/configmaps")).Code);
        await Admin.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "d" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "d" } },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "d" } }, Spec = pod.Spec },
            },
        }, "default");
        Assert.Equal(HttpStatusCode.OK, (await AsAsync(narrow, HttpMethod.Get, "/apis/apps/v1/namespaces/default/deployments/d/scale")).Code);
        (HttpStatusCode whole, string wholeBody) = await AsAsync(narrow, HttpMethod.Get, "/apis/apps/v1/namespaces/default/deployments/d");
        Assert.Equal(HttpStatusCode.Forbidden, whole);
        Assert.Contains("cannot get resource \"deployments\" in API group \"apps\"", Message(wholeBody), StringComparison.Ordinal);
        (HttpStatusCode exec, string execBody) = await AsAsync(narrow, HttpMethod.Post, "/api/v1/namespaces/default/pods/p/exec");
        Assert.Equal(HttpStatusCode.Forbidden, exec);
        Assert.Contains("cannot create resource \"pods/exec\"", Message(execBody), StringComparison.Ordinal);

        // A ClusterRoleBinding to a group reaches every namespace; the admin (system:masters) is never refused.
        await Admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "all-accounts-view" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" },
            Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = "system:serviceaccounts" }],
        });
        Assert.Equal(HttpStatusCode.OK, (await AsAsync(narrow, HttpMethod.Get, "/api/v1/namespaces/kube-system/configmaps")).Code);
        Assert.NotNull(await Admin.CoreV1.ListNodeAsync());

        // can-i asks the same authorizer.
        var review = new V1SelfSubjectAccessReview { ApiVersion = "authorization.k8s.io/v1", Kind = "SelfSubjectAccessReview", Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = "delete", Resource = "pods", NamespaceProperty = "default" } } };
        (HttpStatusCode reviewed, string answer) = await AsAsync(token, HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review);
        Assert.Equal(HttpStatusCode.Created, reviewed);
        Assert.False(JsonDocument.Parse(answer).RootElement.GetProperty("status").GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task Pods_get_their_service_account_token_mounted_unless_they_or_the_account_opt_out()
    {
        await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, "default");
        await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "quiet" }, AutomountServiceAccountToken = false }, "default");
        V1Pod Pod(string name, string account = "default") => new()
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec
            {
                ServiceAccountName = account,
                InitContainers = [new V1Container { Name = "init", Image = "busybox:1.35" }],
                Containers = [new V1Container { Name = "a", Image = "busybox:1.35" }, new V1Container { Name = "b", Image = "busybox:1.35" }],
            },
        };

        V1Pod mounted = await Admin.CoreV1.CreateNamespacedPodAsync(Pod("mounted"), "default");
        V1Volume volume = Assert.Single(mounted.Spec.Volumes);
        Assert.Matches("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$", volume.Name);
        Assert.Equal(420, volume.Projected.DefaultMode);
        Assert.Equal((3607L, "token"), (volume.Projected.Sources[0].ServiceAccountToken.ExpirationSeconds!.Value, volume.Projected.Sources[0].ServiceAccountToken.Path));
        Assert.Equal("kube-root-ca.crt", volume.Projected.Sources[1].ConfigMap.Name);
        Assert.Equal("metadata.namespace", volume.Projected.Sources[2].DownwardAPI.Items[0].FieldRef.FieldPath);
        foreach (V1Container c in mounted.Spec.InitContainers.Concat(mounted.Spec.Containers))
        {
            V1VolumeMount mount = Assert.Single(c.VolumeMounts);
            Assert.Equal((volume.Name, "/var/run/secrets/kubernetes.io/serviceaccount", true), (mount.Name, mount.MountPath, mount.ReadOnlyProperty!.Value));
        }

        V1Pod optedOut = Pod("opted-out");
        optedOut.Spec.AutomountServiceAccountToken = false;
        Assert.Null((await Admin.CoreV1.CreateNamespacedPodAsync(optedOut, "default")).Spec.Volumes);
        Assert.Null((await Admin.CoreV1.CreateNamespacedPodAsync(Pod("quiet-account", "quiet"), "default")).Spec.Volumes);
        V1Pod optedIn = Pod("opted-in", "quiet");
        optedIn.Spec.AutomountServiceAccountToken = true;
        Assert.Single((await Admin.CoreV1.CreateNamespacedPodAsync(optedIn, "default")).Spec.Volumes);
    }
}
