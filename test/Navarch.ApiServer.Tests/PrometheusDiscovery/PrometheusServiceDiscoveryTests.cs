using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.PrometheusDiscovery;

/// <summary>
/// The API server's Prometheus HTTP service discovery over real HTTPS, read with the token of the ServiceAccount the
/// shipped <c>examples/prometheus/rbac.yaml</c> makes: each role's targets and Kubernetes discovery's labels for real
/// stored nodes, pods, Services and Endpoints; anonymous requests, identities without the grant and unknown roles are
/// refused with Kubernetes' statuses.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PrometheusServiceDiscoveryTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    private Kubernetes Admin => _host.Client;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_example_service_account_discovers_nodes_annotated_pods_and_services_and_the_api_servers()
    {
        await ApplyExampleRbacAsync();
        using HttpClient prometheus = await ClientOfAsync("monitoring", "prometheus");

        // No API server publishes default/kubernetes (this one listens on loopback only): it answers where it listens.
        JsonElement self = await GetAsync(prometheus, "apiservers");
        Assert.Equal($"127.0.0.1:{_host.Server.Port}", Assert.Single(Assert.Single(self.EnumerateArray()).GetProperty("targets").EnumerateArray()).GetString());
        Assert.Equal("127.0.0.1:10259", (await GetAsync(prometheus, "kube-scheduler"))[0].GetProperty("targets")[0].GetString());

        await SeedAsync();

        JsonElement kubelets = await Eventually(prometheus, "kubelets", groups => groups.GetArrayLength() == 1);
        JsonElement kubelet = kubelets[0];
        Assert.Equal("192.0.2.7:10350", Assert.Single(kubelet.GetProperty("targets").EnumerateArray()).GetString());
        JsonElement node = kubelet.GetProperty("labels");
        Assert.Equal("worker-1", node.GetProperty("__meta_kubernetes_node_name").GetString());
        Assert.Equal("worker-1", node.GetProperty("instance").GetString());
        Assert.Equal("192.0.2.7", node.GetProperty("__meta_kubernetes_node_address_InternalIP").GetString());
        Assert.Equal("worker-1.example", node.GetProperty("__meta_kubernetes_node_address_Hostname").GetString());
        Assert.Equal("amd64", node.GetProperty("__meta_kubernetes_node_label_kubernetes_io_arch").GetString());
        Assert.Equal("true", node.GetProperty("__meta_kubernetes_node_labelpresent_kubernetes_io_arch").GetString());
        Assert.Equal("", node.GetProperty("__meta_kubernetes_node_provider_id").GetString());

        // Only the pod that asks to be scraped, at the port it names, on the path and scheme it names.
        JsonElement pods = await Eventually(prometheus, "pods", groups => groups.GetArrayLength() == 1);
        JsonElement pod = pods[0];
        Assert.Equal("10.42.0.9:9100", Assert.Single(pod.GetProperty("targets").EnumerateArray()).GetString());
        JsonElement podLabels = pod.GetProperty("labels");
        Assert.Equal("apps", podLabels.GetProperty("__meta_kubernetes_namespace").GetString());
        Assert.Equal("exporter", podLabels.GetProperty("__meta_kubernetes_pod_name").GetString());
        Assert.Equal("10.42.0.9", podLabels.GetProperty("__meta_kubernetes_pod_ip").GetString());
        Assert.Equal("Running", podLabels.GetProperty("__meta_kubernetes_pod_phase").GetString());
        Assert.Equal("true", podLabels.GetProperty("__meta_kubernetes_pod_ready").GetString());
        Assert.Equal("worker-1", podLabels.GetProperty("__meta_kubernetes_pod_node_name").GetString());
        Assert.Equal("web", podLabels.GetProperty("__meta_kubernetes_pod_label_app_kubernetes_io_name").GetString());
        Assert.Equal("true", podLabels.GetProperty("__meta_kubernetes_pod_annotation_prometheus_io_scrape").GetString());
        Assert.Equal("exporter", podLabels.GetProperty("__meta_kubernetes_pod_container_name").GetString());
        Assert.Equal("metrics", podLabels.GetProperty("__meta_kubernetes_pod_container_port_name").GetString());
        Assert.Equal("9100", podLabels.GetProperty("__meta_kubernetes_pod_container_port_number").GetString());
        Assert.Equal("/stats", podLabels.GetProperty("__metrics_path__").GetString());
        Assert.Equal("https", podLabels.GetProperty("__scheme__").GetString());

        // The annotated Service's endpoints, with the Service's labels and the pod's behind the address.
        JsonElement services = await Eventually(prometheus, "services", groups => groups.GetArrayLength() == 1);
        JsonElement service = services[0];
        Assert.Equal("10.42.0.9:8080", Assert.Single(service.GetProperty("targets").EnumerateArray()).GetString());
        JsonElement serviceLabels = service.GetProperty("labels");
        Assert.Equal("apps", serviceLabels.GetProperty("__meta_kubernetes_namespace").GetString());
        Assert.Equal("web", serviceLabels.GetProperty("__meta_kubernetes_service_name").GetString());
        Assert.Equal("web", serviceLabels.GetProperty("__meta_kubernetes_endpoints_name").GetString());
        Assert.Equal("frontend", serviceLabels.GetProperty("__meta_kubernetes_service_label_tier").GetString());
        Assert.Equal("http", serviceLabels.GetProperty("__meta_kubernetes_endpoint_port_name").GetString());
        Assert.Equal("true", serviceLabels.GetProperty("__meta_kubernetes_endpoint_ready").GetString());
        Assert.Equal("Pod", serviceLabels.GetProperty("__meta_kubernetes_endpoint_address_target_kind").GetString());
        Assert.Equal("exporter", serviceLabels.GetProperty("__meta_kubernetes_endpoint_address_target_name").GetString());
        Assert.Equal("exporter", serviceLabels.GetProperty("__meta_kubernetes_pod_name").GetString());

        // The API servers: the https port of default/kubernetes; the controller manager and scheduler on their machines.
        JsonElement apiServers = await Eventually(prometheus, "apiservers", groups => groups.GetArrayLength() == 1);
        Assert.Equal("192.0.2.1:6443", Assert.Single(apiServers[0].GetProperty("targets").EnumerateArray()).GetString());
        JsonElement apiLabels = apiServers[0].GetProperty("labels");
        Assert.Equal("default", apiLabels.GetProperty("__meta_kubernetes_namespace").GetString());
        Assert.Equal("kubernetes", apiLabels.GetProperty("__meta_kubernetes_service_name").GetString());
        Assert.Equal("https", apiLabels.GetProperty("__meta_kubernetes_endpoint_port_name").GetString());
        JsonElement scheduler = await Eventually(prometheus, "kube-scheduler", groups => groups.GetArrayLength() == 1);
        Assert.Equal("192.0.2.1:10259", scheduler[0].GetProperty("targets")[0].GetString());
        Assert.Equal("kube-scheduler", scheduler[0].GetProperty("labels").GetProperty("__meta_navarch_component").GetString());
        Assert.Equal("192.0.2.1:10257", (await GetAsync(prometheus, "kube-controller-manager"))[0].GetProperty("targets")[0].GetString());
        Assert.Equal("192.0.2.7:10249", (await GetAsync(prometheus, "kube-proxy"))[0].GetProperty("targets")[0].GetString());
    }

    [Fact]
    public async Task Anonymous_ungranted_and_partly_granted_readers_and_unknown_roles_are_refused()
    {
        using (HttpClient anonymous = _host.NewHttp(withClientCertificate: false))
        using (HttpResponseMessage response = await anonymous.GetAsync("/v1-navarch/prometheus/sd/pods"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "nobody" } }, "default");
        using HttpClient nobody = await ClientOfAsync("default", "nobody");
        await AssertStatusAsync(nobody, "/v1-navarch/prometheus/sd/pods", HttpStatusCode.Forbidden, "forbidden: User \"system:serviceaccount:default:nobody\" cannot get path \"/v1-navarch/prometheus/sd/pods\"");

        // The path alone is not enough: a role reveals objects its reader must be allowed to list.
        await Admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "sd-only" },
            Rules = [new V1PolicyRule { NonResourceURLs = ["/v1-navarch/prometheus/sd/*"], Verbs = ["get"] }],
        });
        await Admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "nobody-sd-only" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "sd-only" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "nobody", NamespaceProperty = "default" }],
        });
        await Polling.EventuallyPasses(
            () => AssertStatusAsync(nobody, "/v1-navarch/prometheus/sd/pods", HttpStatusCode.Forbidden, "pods is forbidden: User \"system:serviceaccount:default:nobody\" cannot list resource \"pods\" in API group \"\" at the cluster scope"),
            "the path granted, the pods not");

        await AssertStatusAsync(_host.NewHttp(withClientCertificate: true), "/v1-navarch/prometheus/sd/everything", HttpStatusCode.NotFound, "no Prometheus discovery role \"everything\" (one of: apiservers, kubelets, pods, services, kube-controller-manager, kube-scheduler, kube-proxy, coredns)");
        using HttpResponseMessage post = await _host.NewHttp(withClientCertificate: true).PostAsync("/v1-navarch/prometheus/sd/pods", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    private async Task ApplyExampleRbacAsync()
    {
        string yaml = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "examples", "prometheus", "rbac.yaml"));
        foreach (object document in KubernetesYaml.LoadAllFromString(yaml))
        {
            switch (document)
            {
                case V1Namespace ns:
                    await Admin.CoreV1.CreateNamespaceAsync(ns);
                    break;
                case V1ServiceAccount account:
                    await Admin.CoreV1.CreateNamespacedServiceAccountAsync(account, account.Metadata.NamespaceProperty);
                    break;
                case V1ClusterRole role:
                    await Admin.RbacAuthorizationV1.CreateClusterRoleAsync(role);
                    break;
                case V1ClusterRoleBinding binding:
                    await Admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(binding);
                    break;
                default:
                    Assert.Fail($"unexpected object in rbac.yaml: {document.GetType().Name}");
                    break;
            }
        }
    }

    private async Task SeedAsync()
    {
        await Admin.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "worker-1", Labels = new Dictionary<string, string> { ["kubernetes.io/arch"] = "amd64" } },
        });
        await Admin.CoreV1.ReplaceNodeStatusAsync(
            new V1Node
            {
                Metadata = (await Admin.CoreV1.ReadNodeAsync("worker-1")).Metadata,
                Status = new V1NodeStatus
                {
                    Addresses = [new V1NodeAddress { Type = "Hostname", Address = "worker-1.example" }, new V1NodeAddress { Type = "InternalIP", Address = "192.0.2.7" }],
                    DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = 10350 } },
                },
            },
            "worker-1");

        await Admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } });
        foreach ((string name, bool annotated) in new[] { ("exporter", true), ("quiet", false) })
        {
            V1Pod created = await Admin.CoreV1.CreateNamespacedPodAsync(
                new V1Pod
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = name,
                        Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "web" },
                        Annotations = annotated ? new Dictionary<string, string> { ["prometheus.io/scrape"] = "true", ["prometheus.io/port"] = "9100", ["prometheus.io/path"] = "/stats", ["prometheus.io/scheme"] = "https" } : null,
                    },
                    Spec = new V1PodSpec
                    {
                        NodeName = "worker-1",
                        Containers =
                        [
                            new V1Container { Name = "web", Image = "busybox:1.35", Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }] },
                            new V1Container { Name = "exporter", Image = "busybox:1.35", Ports = [new V1ContainerPort { Name = "metrics", ContainerPort = 9100 }] },
                        ],
                    },
                },
                "apps");
            created.Status = new V1PodStatus
            {
                Phase = "Running",
                PodIP = annotated ? "10.42.0.9" : "10.42.0.10",
                HostIP = "192.0.2.7",
                Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }],
            };
            await Admin.CoreV1.ReplaceNamespacedPodStatusAsync(created, name, "apps");
        }

        foreach ((string name, bool annotated) in new[] { ("web", true), ("hidden", false) })
        {
            await Admin.CoreV1.CreateNamespacedServiceAsync(
                new V1Service
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = name,
                        Labels = new Dictionary<string, string> { ["tier"] = "frontend" },
                        Annotations = annotated ? new Dictionary<string, string> { ["prometheus.io/scrape"] = "true" } : null,
                    },
                    Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }] },
                },
                "apps");
            await Admin.CoreV1.CreateNamespacedEndpointsAsync(
                new V1Endpoints
                {
                    Metadata = new V1ObjectMeta { Name = name },
                    Subsets =
                    [
                        new V1EndpointSubset
                        {
                            Addresses = [new V1EndpointAddress { Ip = "10.42.0.9", NodeName = "worker-1", TargetRef = new V1ObjectReference { Kind = "Pod", Name = "exporter", NamespaceProperty = "apps" } }],
                            Ports = [new Corev1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
                        },
                    ],
                },
                "apps");
        }

        // The API server's address as its endpoint reconciler publishes it (this test server advertises none).
        var apiServers = new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "kubernetes" },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.0.2.1", NodeName = "server-1" }], Ports = [new Corev1EndpointPort { Name = "https", Port = 6443, Protocol = "TCP" }] }],
        };
        try
        {
            await Admin.CoreV1.CreateNamespacedEndpointsAsync(apiServers, "default");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            apiServers.Metadata.ResourceVersion = (await Admin.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default")).Metadata.ResourceVersion;
            await Admin.CoreV1.ReplaceNamespacedEndpointsAsync(apiServers, "kubernetes", "default");
        }
    }

    private async Task<HttpClient> ClientOfAsync(string ns, string account)
    {
        string token = (await Admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, account, ns)).Status.Token;
        HttpClient http = _host.NewHttp(withClientCertificate: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string role)
    {
        using HttpResponseMessage response = await http.GetAsync("/v1-navarch/prometheus/sd/" + role);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{role}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The role's answer once <paramref name="done"/> holds (the watch caches follow the writes).</summary>
    private static async Task<JsonElement> Eventually(HttpClient http, string role, Func<JsonElement, bool> done)
    {
        JsonElement last = default;
        await Polling.EventuallyPasses(async () => Assert.True(done(last = await GetAsync(http, role)), last.ToString()), $"the {role} role's targets");
        return last;
    }

    private static async Task AssertStatusAsync(HttpClient http, string path, HttpStatusCode code, string message)
    {
        using HttpResponseMessage response = await http.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == code, $"{(int)response.StatusCode} {body}");
        JsonElement status = JsonDocument.Parse(body).RootElement;
        Assert.Equal("Status", status.GetProperty("kind").GetString());
        Assert.Equal(message, status.GetProperty("message").GetString());
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Navarch.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        return dir.FullName;
    }
}
