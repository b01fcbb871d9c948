using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// ResourceQuota end to end: the admission plugin in the real API server charging and refusing writes, the resource
/// quota controller keeping status.hard/status.used, and the real kubectl seeing both.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ResourceQuotaTests : ControllerCluster
{
    private const string Ns = "default";

    protected override ControllerManagerOptions Options => new() { ResourceQuotaSyncPeriod = TimeSpan.FromSeconds(1) };

    private static V1Pod Pod(string name, string? cpu = null, string? memory = null, string? phase = null)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null)
        {
            requests["cpu"] = new ResourceQuantity(cpu);
        }

        if (memory is not null)
        {
            requests["memory"] = new ResourceQuantity(memory);
        }

        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35", Resources = new V1ResourceRequirements { Requests = requests } }] },
        };
    }

    private async Task<V1ResourceQuota> QuotaAsync(string name, Dictionary<string, string> hard, V1ResourceQuotaSpec? spec = null)
    {
        spec ??= new V1ResourceQuotaSpec();
        spec.Hard = hard.ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value));
        await Client.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota { Metadata = new V1ObjectMeta { Name = name }, Spec = spec }, Ns);
        V1ResourceQuota? counted = null;
        await Eventually(
            async () => (counted = await Client.CoreV1.ReadNamespacedResourceQuotaAsync(name, Ns)).Status?.Used?.Count == hard.Count,
            $"the controller counts quota {name}");
        return counted!;
    }

    private async Task<string> UsedAsync(string quota, string resource) =>
        (await Client.CoreV1.ReadNamespacedResourceQuotaAsync(quota, Ns)).Status?.Used?.TryGetValue(resource, out ResourceQuantity? q) == true ? q.ToString() : "";

    private static async Task<string> RefusedAsync(Func<Task> write)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(write);
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        using JsonDocument status = JsonDocument.Parse(e.Response.Content);
        Assert.Equal("Forbidden", status.RootElement.GetProperty("reason").GetString());
        return status.RootElement.GetProperty("message").GetString()!;
    }

    [Fact]
    public async Task A_pod_over_the_quota_is_refused_and_a_deleted_one_releases_its_usage()
    {
        await QuotaAsync("compute", new() { ["pods"] = "2", ["requests.cpu"] = "1", ["requests.memory"] = "1Gi" });

        Assert.Equal(
            "pods \"bare\" is forbidden: failed quota: compute: must specify requests.cpu for: c; requests.memory for: c",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("bare"), Ns)));

        await Client.CoreV1.CreateNamespacedPodAsync(Pod("a", "600m", "256Mi"), Ns);
        // Charged by admission, before any recount.
        Assert.Equal("600m", await UsedAsync("compute", "requests.cpu"));
        Assert.Equal(
            "pods \"b\" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("b", "500m", "256Mi"), Ns)));
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("b", "400m", "256Mi"), Ns);
        Assert.Equal(
            "pods \"c\" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=1m, used: pods=2,requests.cpu=1, limited: pods=2,requests.cpu=1",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("c", "1m", "1Mi"), Ns)));

        await Client.CoreV1.DeleteNamespacedPodAsync("a", Ns, new V1DeleteOptions { GracePeriodSeconds = 0 });
        await Eventually(async () => await UsedAsync("compute", "requests.cpu") == "400m", "the controller releases the deleted pod's usage");
        Assert.Equal("1", await UsedAsync("compute", "pods"));
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("c", "600m", "256Mi"), Ns);
    }

    [Fact]
    public async Task A_pod_that_ended_no_longer_counts_but_its_object_does()
    {
        await QuotaAsync("lifecycle", new() { ["pods"] = "1", ["count/pods"] = "5" });
        V1Pod pod = await Client.CoreV1.CreateNamespacedPodAsync(Pod("done"), Ns);
        Assert.Equal("1", await UsedAsync("lifecycle", "pods"));

        pod.Status = new V1PodStatus { Phase = "Succeeded" };
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "done", Ns);
        await Eventually(async () => await UsedAsync("lifecycle", "pods") == "0", "an ended pod is released");
        Assert.Equal("1", await UsedAsync("lifecycle", "count/pods"));
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("next"), Ns);
    }

    [Fact]
    public async Task A_dry_run_is_checked_against_the_quota_and_charges_nothing()
    {
        await QuotaAsync("dry", new() { ["count/podtemplates"] = "1" });
        static V1PodTemplate Template(string name) => new()
        {
            Metadata = new V1ObjectMeta { Name = name },
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] } },
        };

        await Client.CoreV1.CreateNamespacedPodTemplateAsync(Template("t1"), Ns, dryRun: "All");
        Assert.Equal("0", await UsedAsync("dry", "count/podtemplates"));
        await Client.CoreV1.CreateNamespacedPodTemplateAsync(Template("t1"), Ns);
        Assert.Equal("1", await UsedAsync("dry", "count/podtemplates"));
        Assert.Contains("exceeded quota: dry", await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodTemplateAsync(Template("t2"), Ns, dryRun: "All")), StringComparison.Ordinal);
        Assert.Equal("1", await UsedAsync("dry", "count/podtemplates"));
    }

    [Fact]
    public async Task Racing_creates_cannot_both_take_the_last_unit()
    {
        await QuotaAsync("objects", new() { ["configmaps"] = "3" });
        // The server's own kube-root-ca.crt publisher is not running here, so the namespace starts with none.
        Task<bool>[] creates = Enumerable.Range(0, 12).Select(async i =>
        {
            try
            {
                await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"race-{i}" } }, Ns);
                return true;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
            {
                return false;
            }
        }).ToArray();

        Assert.Equal(3, (await Task.WhenAll(creates)).Count(created => created));
        Assert.Equal(3, (await Client.CoreV1.ListNamespacedConfigMapAsync(Ns)).Items.Count);
        Assert.Equal("3", await UsedAsync("objects", "configmaps"));
    }

    [Fact]
    public async Task Services_load_balancers_and_node_ports_are_counted()
    {
        await QuotaAsync("services", new() { ["services"] = "5", ["services.loadbalancers"] = "1", ["services.nodeports"] = "2" });
        V1Service Service(string name, string type, int ports) => new()
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec { Type = type, Selector = new Dictionary<string, string> { ["app"] = name }, Ports = Enumerable.Range(0, ports).Select(i => new V1ServicePort { Name = $"p{i}", Port = 80 + i }).ToList() },
        };

        await Client.CoreV1.CreateNamespacedServiceAsync(Service("lb", "LoadBalancer", 1), Ns);
        Assert.Equal(
            "services \"lb2\" is forbidden: exceeded quota: services, requested: services.loadbalancers=1, used: services.loadbalancers=1, limited: services.loadbalancers=1",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedServiceAsync(Service("lb2", "LoadBalancer", 1), Ns)));
        Assert.Equal(
            "services \"np\" is forbidden: exceeded quota: services, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2",
            await RefusedAsync(() => Client.CoreV1.CreateNamespacedServiceAsync(Service("np", "NodePort", 2), Ns)));
        await Client.CoreV1.CreateNamespacedServiceAsync(Service("plain", "ClusterIP", 3), Ns);
        // With the default namespace's own "kubernetes" Service.
        Assert.Equal("3", await UsedAsync("services", "services"));

        await Client.CoreV1.DeleteNamespacedServiceAsync("lb", Ns);
        await Eventually(async () => await UsedAsync("services", "services.loadbalancers") == "0", "a deleted load balancer is released");
    }

    [Fact]
    public async Task Scoped_quotas_charge_only_the_pods_in_their_scopes()
    {
        await QuotaAsync("best-effort", new() { ["pods"] = "1" }, new V1ResourceQuotaSpec { Scopes = ["BestEffort"] });
        await QuotaAsync("high", new() { ["pods"] = "0" }, new V1ResourceQuotaSpec
        {
            ScopeSelector = new V1ScopeSelector { MatchExpressions = [new V1ScopedResourceSelectorRequirement { ScopeName = "PriorityClass", OperatorProperty = "In", Values = ["high"] }] },
        });

        await Client.CoreV1.CreateNamespacedPodAsync(Pod("be"), Ns);
        Assert.Contains("exceeded quota: best-effort", await RefusedAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Pod("be2"), Ns)), StringComparison.Ordinal);
        // Not best-effort: outside the first quota's scope.
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("burstable", "10m"), Ns);
        Assert.Equal("1", await UsedAsync("best-effort", "pods"));
    }

    [Fact]
    public async Task Object_counts_of_any_resource_are_kept_by_the_controller()
    {
        await QuotaAsync("apps", new() { ["count/deployments.apps"] = "1" });
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 0,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
                },
            },
        };
        await Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns);
        deployment.Metadata.Name = "web2";
        Assert.Equal(
            "deployments.apps \"web2\" is forbidden: exceeded quota: apps, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1",
            await RefusedAsync(() => Client.AppsV1.CreateNamespacedDeploymentAsync(deployment, Ns)));

        await Client.AppsV1.DeleteNamespacedDeploymentAsync("web", Ns);
        await Eventually(async () => await UsedAsync("apps", "count/deployments.apps") == "0", "the periodic recount sees the deployment gone");
    }

    [Fact]
    public async Task Kubectl_is_refused_with_the_quota_message_and_describes_used_and_hard()
    {
        await QuotaAsync("kubectl-quota", new() { ["secrets"] = "1", ["pods"] = "4" });
        (int code, _, string err) = await RealKubectl.RunAsync(Kubeconfig, "create", "secret", "generic", "one", "--from-literal=a=b", "-n", Ns);
        Assert.True(code == 0, err);
        (code, _, err) = await RealKubectl.RunAsync(Kubeconfig, "create", "secret", "generic", "two", "--from-literal=a=b", "-n", Ns);
        Assert.NotEqual(0, code);
        Assert.Contains("secrets \"two\" is forbidden: exceeded quota: kubectl-quota, requested: secrets=1, used: secrets=1, limited: secrets=1", err, StringComparison.Ordinal);

        (code, string described, err) = await RealKubectl.RunAsync(Kubeconfig, "describe", "quota", "kubectl-quota", "-n", Ns);
        Assert.True(code == 0, err);
        Assert.Matches(@"Resource\s+Used\s+Hard", described);
        Assert.Matches(@"pods\s+0\s+4", described);
        Assert.Matches(@"secrets\s+1\s+1", described);
    }
}
