using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests;

/// <summary>Kubernetes' validation of Endpoints, EndpointSlices, Leases, Nodes, Ingresses, NetworkPolicies, PVs, LimitRanges and quotas: 422 with the field, nothing stored.</summary>
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
}
