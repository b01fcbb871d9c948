using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s;
using k8s.Models;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Server;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The kubelet API's bearer tokens (the kubelet's webhook authentication and authorization): a ServiceAccount token is
/// reviewed by a real API server with RBAC, and a request is authorized on this node's <c>nodes</c> subresource its path
/// maps to — a scraper granted <c>nodes/metrics</c> reads <c>/metrics/*</c> and nothing else.
/// </summary>
public sealed class KubeletTokenAuthTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-kubelet-token-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Trait("Category", "Unit")]
    [Theory]
    [InlineData("GET", "/metrics", "get", "metrics")]
    [InlineData("GET", "/metrics/probes", "get", "metrics")]
    [InlineData("GET", "/metricsx", "get", "proxy")]
    [InlineData("GET", "/stats/summary", "get", "stats")]
    [InlineData("GET", "/logs/", "get", "log")]
    [InlineData("GET", "/pods", "get", "proxy")]
    [InlineData("POST", "/exec/ns/pod/c", "create", "proxy")]
    [InlineData("DELETE", "/healthz", "delete", "proxy")]
    public void Paths_map_to_the_nodes_subresource_the_kubelet_authorizes(string method, string path, string verb, string subresource)
    {
        V1ResourceAttributes attributes = KubeletAuth.Attributes("n1", method, path);
        Assert.Equal((verb, "nodes", subresource, "n1", "v1"), (attributes.Verb, attributes.Resource, attributes.Subresource, attributes.Name, attributes.Version));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Tokens_and_certificates_are_authorized_on_the_nodes_subresource_their_path_maps_to()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");
        Kubernetes admin = api.Client;
        // The kubelet reviews tokens with its own credentials, as system:node:n1.
        using var kubeconfig = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(api.Server.ClientKubeconfig("system:node:n1", "system:nodes")));
        using var kubeletClient = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        using var cri = new CriConnection(Path.Combine(_dir.FullName, "no-runtime.sock"));
        await using StandaloneKubeletServer kubelet = await StandaloneKubeletServer.StartAsync(api.Server.Pki, _dir.FullName, cri.Runtime, kubeletClient);
        KubeletOptions options = kubelet.Options;

        await admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "node-metrics" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["nodes/metrics"], Verbs = ["get"] }],
        });
        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "scraper-node-metrics" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "node-metrics" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "scraper", NamespaceProperty = "default" }],
        });
        using HttpClient scraper = await TokenClientAsync(api, options.KubeletPort, "scraper");
        using HttpClient stranger = await TokenClientAsync(api, options.KubeletPort, "stranger");

        await Polling.EventuallyPasses(
            async () =>
            {
                using HttpResponseMessage response = await scraper.GetAsync("/metrics/probes");
                Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            },
            "the scraper reads /metrics/probes");
        await AssertRefusedAsync(scraper, "/pods", HttpStatusCode.Forbidden, "Forbidden (user=system:serviceaccount:default:scraper, verb=get, resource=nodes, subresource=proxy)");
        await AssertRefusedAsync(scraper, "/stats/summary", HttpStatusCode.Forbidden, "Forbidden (user=system:serviceaccount:default:scraper, verb=get, resource=nodes, subresource=stats)");
        await AssertRefusedAsync(stranger, "/metrics/probes", HttpStatusCode.Forbidden, "Forbidden (user=system:serviceaccount:default:stranger, verb=get, resource=nodes, subresource=metrics)");

        using HttpClient forged = KubeletServerTests.Client(options.KubeletPort, null, api.Server.Pki);
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        await AssertRefusedAsync(forged, "/metrics/probes", HttpStatusCode.Unauthorized, "Unauthorized");
        using HttpClient anonymous = KubeletServerTests.Client(options.KubeletPort, null, api.Server.Pki);
        await AssertRefusedAsync(anonymous, "/metrics/probes", HttpStatusCode.Unauthorized, "Unauthorized");

        // A certificate's user is authorized the same way, its organizations as groups: once jane's group is granted
        // nodes/metrics she reads /metrics/probes, and still nothing else.
        using HttpClient jane = KubeletServerTests.Client(options.KubeletPort, api.Server.Pki.IssueClient("jane", "monitoring"), api.Server.Pki);
        await AssertRefusedAsync(jane, "/pods", HttpStatusCode.Forbidden, "Forbidden (user=jane, verb=get, resource=nodes, subresource=proxy)");
        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "monitoring-node-metrics" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "node-metrics" },
            Subjects = [new Rbacv1Subject { Kind = "Group", Name = "monitoring", ApiGroup = "rbac.authorization.k8s.io" }],
        });
        await Polling.EventuallyPasses(
            async () =>
            {
                using HttpResponseMessage response = await jane.GetAsync("/metrics/probes");
                Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            },
            "jane's group reads /metrics/probes");
        await AssertRefusedAsync(jane, "/stats/summary", HttpStatusCode.Forbidden, "Forbidden (user=jane, verb=get, resource=nodes, subresource=stats)");

        // The API server's own client certificate (system:apiserver in system:masters) passes the same review.
        using HttpClient apiServer = KubeletServerTests.Client(options.KubeletPort, api.Server.Pki.KubeletClient, api.Server.Pki);
        Assert.Equal("ok", await apiServer.GetStringAsync("/healthz"));
    }

    private static async Task<HttpClient> TokenClientAsync(ApiServerHost api, int port, string account)
    {
        await api.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = account } }, "default");
        string token = (await api.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, account, "default")).Status.Token;
        HttpClient client = KubeletServerTests.Client(port, null, api.Server.Pki);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task AssertRefusedAsync(HttpClient client, string path, HttpStatusCode code, string message)
    {
        using HttpResponseMessage response = await client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == code, $"{path}: {(int)response.StatusCode} {body}");
        using JsonDocument status = JsonDocument.Parse(body);
        Assert.Equal(message, status.RootElement.GetProperty("message").GetString());
    }
}
