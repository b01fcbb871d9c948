using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests;

/// <summary>Kubernetes' validation of Endpoints, EndpointSlices, Leases, Nodes, Ingresses, NetworkPolicies, PVs, LimitRanges and quotas: 422 with the field, nothing stored.</summary>
[Trait("Category", "Integration")]
public sealed class SpecValidationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly Kubernetes _client = fixture.Client;

    private static async Task AssertInvalid(Func<Task> create, string field, string detail)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(create);
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        using var status = JsonDocument.Parse(e.Response.Content);
        JsonElement[] causes = [.. status.RootElement.GetProperty("details").GetProperty("causes").EnumerateArray()];
        Assert.Contains(causes, c => c.GetProperty("field").GetString() == field && c.GetProperty("message").GetString()!.Contains(detail, StringComparison.Ordinal));
    }

    private static V1ObjectMeta Meta(string name) => new() { Name = name };

    [Fact]
    public async Task Endpoints_and_slices_need_real_addresses_and_ports()
    {
        V1Endpoints Endpoints(string ip, int port) => new()
        {
            Metadata = Meta("ep-bad"),
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = ip }], Ports = [new Corev1EndpointPort { Port = port }] }],
        };
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedEndpointsAsync(Endpoints("10.0.0.300", 80), "default"), "subsets[0].addresses[0].ip", "must be a valid IP address");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedEndpointsAsync(Endpoints("127.0.0.1", 80), "default"), "subsets[0].addresses[0].ip", "loopback");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedEndpointsAsync(Endpoints("10.0.0.1", 70000), "default"), "subsets[0].ports[0].port", "between 1 and 65535");
        V1Endpoints good = await _client.CoreV1.CreateNamespacedEndpointsAsync(Endpoints("10.0.0.1", 80), "default");
        Assert.Equal("TCP", good.Subsets[0].Ports[0].Protocol);
        Assert.DoesNotContain((await _client.CoreV1.ListNamespacedEndpointsAsync("default")).Items, e => e.Metadata.Name == "ep-bad" && e.Subsets[0].Addresses[0].Ip != "10.0.0.1");

        var slice = new V1EndpointSlice { Metadata = Meta("slice-bad"), AddressType = "IPv4", Endpoints = [new V1Endpoint { Addresses = ["fd00::1"] }] };
        await AssertInvalid(() => _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, "default"), "endpoints[0].addresses[0]", "must be a valid IPv4 address");
        slice.AddressType = "IPv5";
        await AssertInvalid(() => _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, "default"), "addressType", "supported values");
        await _client.CoreV1.DeleteNamespacedEndpointsAsync("ep-bad", "default");
    }

    [Fact]
    public async Task Nodes_leases_and_ingresses_are_checked()
    {
        var node = new V1Node
        {
            Metadata = Meta("validated-node"),
            Spec = new V1NodeSpec { PodCIDR = "10.1.0.0/33", Taints = [new V1Taint { Key = "a", Effect = "Sometimes" }, new V1Taint { Key = "b", Effect = "NoSchedule" }, new V1Taint { Key = "b", Effect = "NoSchedule" }] },
        };
        await AssertInvalid(() => _client.CoreV1.CreateNodeAsync(node), "spec.podCIDRs[0]", "must be a valid CIDR");
        await AssertInvalid(() => _client.CoreV1.CreateNodeAsync(node), "spec.taints[0].effect", "supported values");
        await AssertInvalid(() => _client.CoreV1.CreateNodeAsync(node), "spec.taints[2]", "unique by key and effect");

        var lease = new V1Lease { Metadata = Meta("validated-lease"), Spec = new V1LeaseSpec { LeaseDurationSeconds = 0 } };
        await AssertInvalid(() => _client.CoordinationV1.CreateNamespacedLeaseAsync(lease, "default"), "spec.leaseDurationSeconds", "must be greater than 0");

        var ingress = new V1Ingress { Metadata = Meta("validated-ingress"), Spec = new V1IngressSpec() };
        await AssertInvalid(() => _client.NetworkingV1.CreateNamespacedIngressAsync(ingress, "default"), "spec", "either `defaultBackend` or `rules` must be specified");
        ingress.Spec.Rules =
        [
            new V1IngressRule
            {
                Host = "10.0.0.1",
                Http = new V1HTTPIngressRuleValue { Paths = [new V1HTTPIngressPath { Path = "relative", PathType = "Prefix", Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = "web" } } }] },
            },
        ];
        await AssertInvalid(() => _client.NetworkingV1.CreateNamespacedIngressAsync(ingress, "default"), "spec.rules[0].host", "must be a DNS name, not an IP address");
        await AssertInvalid(() => _client.NetworkingV1.CreateNamespacedIngressAsync(ingress, "default"), "spec.rules[0].http.paths[0].path", "must be an absolute path");
        await AssertInvalid(() => _client.NetworkingV1.CreateNamespacedIngressAsync(ingress, "default"), "spec.rules[0].http.paths[0].backend.service.port", "port name or number is required");
        Assert.DoesNotContain((await _client.CoreV1.ListNodeAsync()).Items, n => n.Metadata.Name == "validated-node");
    }

    [Fact]
    public async Task Policies_volumes_limits_and_quotas_are_checked()
    {
        var policy = new V1NetworkPolicy
        {
            Metadata = Meta("validated-policy"),
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector(),
                PolicyTypes = ["Sideways"],
                Ingress = [new V1NetworkPolicyIngressRule { Ports = [new V1NetworkPolicyPort { Protocol = "ICMP", Port = 80, EndPort = 79 }] }],
            },
        };
        await AssertInvalid(() => _client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, "default"), "spec.policyTypes[0]", "supported values");
        await AssertInvalid(() => _client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, "default"), "spec.ingress[0].ports[0].protocol", "supported values");
        await AssertInvalid(() => _client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, "default"), "spec.ingress[0].ports[0].endPort", "greater than or equal to `port`");

        var pv = new V1PersistentVolume { Metadata = Meta("validated-pv"), Spec = new V1PersistentVolumeSpec() };
        await AssertInvalid(() => _client.CoreV1.CreatePersistentVolumeAsync(pv), "spec.capacity", "Required");
        await AssertInvalid(() => _client.CoreV1.CreatePersistentVolumeAsync(pv), "spec", "must specify a volume type");

        var limits = new V1LimitRange
        {
            Metadata = Meta("validated-limits"),
            Spec = new V1LimitRangeSpec { Limits = [new V1LimitRangeItem { Type = "Container", Min = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") }, Max = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") } }] },
        };
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedLimitRangeAsync(limits, "default"), "spec.limits[0].min[cpu]", "is greater than max value");

        var quota = new V1ResourceQuota { Metadata = Meta("validated-quota"), Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("-1") } } };
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedResourceQuotaAsync(quota, "default"), "spec.hard[pods]", "must be greater than or equal to 0");
    }

    [Fact]
    public async Task Jobs_and_stateful_sets_keep_their_fixed_fields()
    {
        V1PodTemplateSpec Template() => new()
        {
            Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "main", Image = "busybox:1.35" }] },
        };
        V1Job job = await _client.BatchV1.CreateNamespacedJobAsync(new V1Job { Metadata = Meta("fixed-job"), Spec = new V1JobSpec { Suspend = true, Template = Template() } }, "default");

        // A suspended Job that never started may change its pods' scheduling directives, not the rest of the template.
        job.Spec.Template.Spec.NodeSelector = new Dictionary<string, string> { ["zone"] = "a" };
        job = await _client.BatchV1.ReplaceNamespacedJobAsync(job, "fixed-job", "default");
        Assert.Equal("a", job.Spec.Template.Spec.NodeSelector["zone"]);
        job.Spec.Template.Spec.Containers[0].Image = "busybox:1.36";
        await AssertInvalid(() => _client.BatchV1.ReplaceNamespacedJobAsync(job, "fixed-job", "default"), "spec.template", "field is immutable");
        job = await _client.BatchV1.ReadNamespacedJobAsync("fixed-job", "default");
        job.Spec.Completions = 3;
        await AssertInvalid(() => _client.BatchV1.ReplaceNamespacedJobAsync(job, "fixed-job", "default"), "spec.completions", "field is immutable");
        await _client.BatchV1.DeleteNamespacedJobAsync("fixed-job", "default");

        var labels = new Dictionary<string, string> { ["app"] = "fixed" };
        V1PodTemplateSpec podTemplate = Template();
        podTemplate.Metadata = new V1ObjectMeta { Labels = labels };
        podTemplate.Spec.RestartPolicy = "Always";
        V1StatefulSet set = await _client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = Meta("fixed-set"),
            Spec = new V1StatefulSetSpec { ServiceName = "fixed", Selector = new V1LabelSelector { MatchLabels = labels }, Template = podTemplate },
        }, "default");
        set.Spec.Replicas = 3;
        set = await _client.AppsV1.ReplaceNamespacedStatefulSetAsync(set, "fixed-set", "default");
        set.Spec.ServiceName = "other";
        await AssertInvalid(() => _client.AppsV1.ReplaceNamespacedStatefulSetAsync(set, "fixed-set", "default"), "spec", "updates to statefulset spec for fields other than");
        await _client.AppsV1.DeleteNamespacedStatefulSetAsync("fixed-set", "default");
    }

    [Fact]
    public async Task Events_revisions_and_definitions_are_checked()
    {
        var e = new Corev1Event { Metadata = Meta("elsewhere.1"), InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "p", NamespaceProperty = "kube-system" }, Reason = "Test" };
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedEventAsync(e, "default"), "involvedObject.namespace", "does not match event.namespace");

        V1ControllerRevision revision = await _client.AppsV1.CreateNamespacedControllerRevisionAsync(new V1ControllerRevision { Metadata = Meta("fixed-rev"), Revision = 1, Data = new Dictionary<string, object> { ["a"] = 1 } }, "default");
        revision.Data = new Dictionary<string, object> { ["a"] = 2 };
        await AssertInvalid(() => _client.AppsV1.ReplaceNamespacedControllerRevisionAsync(revision, "fixed-rev", "default"), "data", "field is immutable");

        var crd = new V1CustomResourceDefinition { Metadata = Meta("widgets.example.com"), Spec = new V1CustomResourceDefinitionSpec { Group = "example.com", Names = new V1CustomResourceDefinitionNames { Plural = "gadgets", Kind = "Widget" }, Scope = "Namespaced", Versions = [] } };
        await AssertInvalid(() => _client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd), "metadata.name", "must be spec.names.plural");
        await AssertInvalid(() => _client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd), "spec.versions", "exactly one version marked as storage version");
    }

    [Fact]
    public async Task Secrets_of_well_known_types_need_their_keys_and_stringData_is_merged_into_data()
    {
        V1Secret Secret(string name, string type, Dictionary<string, string> data) =>
            new() { Metadata = Meta(name), Type = type, StringData = data };

        await AssertInvalid(() => _client.CoreV1.CreateNamespacedSecretAsync(Secret("bad-pull", "kubernetes.io/dockerconfigjson", []), "default"), "data[.dockerconfigjson]", "Required value");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedSecretAsync(Secret("bad-pull", "kubernetes.io/dockerconfigjson", new() { [".dockerconfigjson"] = "{not json" }), "default"), "data[.dockerconfigjson]", "<secret contents redacted>");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedSecretAsync(Secret("bad-tls", "kubernetes.io/tls", new() { ["tls.crt"] = "x" }), "default"), "data[tls.key]", "Required value");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedSecretAsync(Secret("bad-basic", "kubernetes.io/basic-auth", []), "default"), "data[username]", "Required value");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedSecretAsync(Secret("bad-ssh", "kubernetes.io/ssh-auth", []), "default"), "data[ssh-privatekey]", "Required value");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedSecretAsync(Secret("bad-token", "kubernetes.io/service-account-token", []), "default"), "metadata.annotations[kubernetes.io/service-account.name]", "Required value");
        await AssertInvalid(() => _client.CoreV1.CreateNamespacedSecretAsync(Secret("too-big", "Opaque", new() { ["big"] = new string('x', 1024 * 1024 + 1) }), "default"), "data", "may not be more than 1048576 bytes");
        Assert.DoesNotContain((await _client.CoreV1.ListNamespacedSecretAsync("default")).Items, s => s.Metadata.Name.StartsWith("bad-", StringComparison.Ordinal) || s.Metadata.Name == "too-big");

        V1Secret pull = Secret("good-pull", "kubernetes.io/dockerconfigjson", new() { [".dockerconfigjson"] = "{\"auths\":{}}" });
        pull.Data = new Dictionary<string, byte[]> { ["note"] = "from data"u8.ToArray(), ["both"] = "data"u8.ToArray() };
        pull.StringData["both"] = "stringData";
        V1Secret created = await _client.CoreV1.CreateNamespacedSecretAsync(pull, "default");
        V1Secret read = await _client.CoreV1.ReadNamespacedSecretAsync("good-pull", "default");
        foreach (V1Secret s in new[] { created, read })
        {
            Assert.Null(s.StringData);
            Assert.Equal([".dockerconfigjson", "both", "note"], s.Data.Keys.Order(StringComparer.Ordinal).ToArray());
            Assert.Equal("stringData", System.Text.Encoding.UTF8.GetString(s.Data["both"]));
        }

        await _client.CoreV1.DeleteNamespacedSecretAsync("good-pull", "default");
    }

    [Fact]
    public async Task A_pod_without_imagePullSecrets_gets_its_service_accounts()
    {
        var account = new V1ServiceAccount { Metadata = Meta("puller"), ImagePullSecrets = [new V1LocalObjectReference { Name = "regcred" }] };
        await _client.CoreV1.CreateNamespacedServiceAccountAsync(account, "default");
        V1Pod Pod(string name) => new()
        {
            Metadata = Meta(name),
            Spec = new V1PodSpec { ServiceAccountName = "puller", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        };

        V1Pod inherited = await _client.CoreV1.CreateNamespacedPodAsync(Pod("sa-pull-inherits"), "default");
        Assert.Equal(["regcred"], inherited.Spec.ImagePullSecrets.Select(s => s.Name));
        // With AlwaysAllow authorization no token is mounted on its own (it would be an administrator's).
        Assert.Null(inherited.Spec.Volumes);

        V1Pod own = Pod("sa-pull-own");
        own.Spec.ImagePullSecrets = [new V1LocalObjectReference { Name = "mine" }];
        Assert.Equal(["mine"], (await _client.CoreV1.CreateNamespacedPodAsync(own, "default")).Spec.ImagePullSecrets.Select(s => s.Name));

        V1Pod plain = Pod("sa-pull-none");
        plain.Spec.ServiceAccountName = null;
        Assert.Null((await _client.CoreV1.CreateNamespacedPodAsync(plain, "default")).Spec.ImagePullSecrets);

        foreach (string name in new[] { "sa-pull-inherits", "sa-pull-own", "sa-pull-none" })
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
        }

        await _client.CoreV1.DeleteNamespacedServiceAccountAsync("puller", "default");
    }
}
