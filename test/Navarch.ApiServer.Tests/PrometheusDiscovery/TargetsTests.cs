using k8s.Models;
using Navarch.ApiServer.PrometheusDiscovery;

namespace Navarch.ApiServer.Tests.PrometheusDiscovery;

/// <summary>The discovery roles' targets for the cases an integration test does not reach: ports, phases, names Prometheus cannot carry, IPv6.</summary>
[Trait("Category", "Unit")]
public sealed class TargetsTests
{
    public static TheoryData<string, string[]?, Dictionary<string, string>?, string[]> PodCases => new()
    {
        // name, declared TCP ports, annotations, targets
        { "not annotated", ["8080"], null, [] },
        { "scrape false", ["8080"], new() { ["prometheus.io/scrape"] = "false" }, [] },
        { "each declared port", ["8080", "9100"], new() { ["prometheus.io/scrape"] = "true" }, ["10.42.0.5:8080", "10.42.0.5:9100"] },
        { "the annotated port only", ["8080", "9100"], new() { ["prometheus.io/scrape"] = "true", ["prometheus.io/port"] = "9100" }, ["10.42.0.5:9100"] },
        { "an annotated port nobody declares", ["8080"], new() { ["prometheus.io/scrape"] = "true", ["prometheus.io/port"] = "7000" }, ["10.42.0.5:7000"] },
        { "no ports: the IP alone", [], new() { ["prometheus.io/scrape"] = "true" }, ["10.42.0.5"] },
        { "a bad port annotation is ignored", ["8080"], new() { ["prometheus.io/scrape"] = "true", ["prometheus.io/port"] = "http" }, ["10.42.0.5:8080"] },
    };

    [Theory]
    [MemberData(nameof(PodCases))]
    public void Pods_are_targets_at_the_ports_they_ask_for(string name, string[]? ports, Dictionary<string, string>? annotations, string[] targets)
    {
        _ = name;
        V1Pod pod = Pod("10.42.0.5", "Running", annotations, ports ?? []);
        Assert.Equal(targets, Targets.Pods([pod]).SelectMany(g => g.Targets));
    }

    [Theory]
    [InlineData("Succeeded", "10.42.0.5")]
    [InlineData("Failed", "10.42.0.5")]
    [InlineData("Pending", "")]
    public void Finished_pods_and_pods_without_an_ip_are_not_targets(string phase, string ip) =>
        Assert.Empty(Targets.Pods([Pod(ip, phase, new() { ["prometheus.io/scrape"] = "true" }, ["8080"])]));

    [Fact]
    public void Label_and_annotation_keys_become_valid_label_names_and_ipv6_addresses_are_bracketed()
    {
        V1Pod pod = Pod("fd00::5", "Running", new() { ["prometheus.io/scrape"] = "true", ["example.com/owner-team"] = "db" }, ["8080"]);
        pod.Metadata.Labels = new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = "shop" };
        TargetGroup group = Assert.Single(Targets.Pods([pod]));
        Assert.Equal("[fd00::5]:8080", Assert.Single(group.Targets));
        Assert.Equal("shop", group.Labels["__meta_kubernetes_pod_label_app_kubernetes_io_part_of"]);
        Assert.Equal("true", group.Labels["__meta_kubernetes_pod_labelpresent_app_kubernetes_io_part_of"]);
        Assert.Equal("db", group.Labels["__meta_kubernetes_pod_annotation_example_com_owner_team"]);
        Assert.All(group.Labels.Keys, key => Assert.Matches("^[a-zA-Z_][a-zA-Z0-9_]*$", key));
    }

    [Fact]
    public void A_service_port_annotation_makes_one_target_per_address_and_not_ready_addresses_are_kept()
    {
        var service = new V1Service { Metadata = new V1ObjectMeta { Name = "db", NamespaceProperty = "apps", Annotations = new Dictionary<string, string> { ["prometheus.io/scrape"] = "true", ["prometheus.io/port"] = "9187" } } };
        var endpoints = new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "db", NamespaceProperty = "apps" },
            Subsets =
            [
                new V1EndpointSubset
                {
                    Addresses = [new V1EndpointAddress { Ip = "10.42.0.5" }],
                    NotReadyAddresses = [new V1EndpointAddress { Ip = "10.42.0.6" }],
                    Ports = [new Corev1EndpointPort { Name = "sql", Port = 5432 }, new Corev1EndpointPort { Name = "repl", Port = 5433 }],
                },
            ],
        };
        List<TargetGroup> groups = [.. Targets.Services([service], new Dictionary<(string, string), V1Endpoints> { [("apps", "db")] = endpoints }, (_, _) => null)];
        Assert.Equal(["10.42.0.5:9187", "10.42.0.6:9187"], groups.SelectMany(g => g.Targets));
        Assert.Equal(["true", "false"], groups.Select(g => g.Labels["__meta_kubernetes_endpoint_ready"]));
    }

    [Fact]
    public void A_node_without_addresses_is_no_target_and_the_kubelet_port_defaults_to_10250()
    {
        var bare = new V1Node { Metadata = new V1ObjectMeta { Name = "bare" } };
        var external = new V1Node { Metadata = new V1ObjectMeta { Name = "ext" }, Status = new V1NodeStatus { Addresses = [new V1NodeAddress { Type = "ExternalIP", Address = "203.0.113.4" }] } };
        Assert.Equal(["203.0.113.4:10250"], Targets.Kubelets([bare, external]).SelectMany(g => g.Targets));
    }

    private static V1Pod Pod(string ip, string phase, Dictionary<string, string>? annotations, string[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "apps", Annotations = annotations },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Ports = [.. ports.Select(p => new V1ContainerPort { ContainerPort = int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) })] }] },
        Status = new V1PodStatus { PodIP = ip, Phase = phase },
    };
}
