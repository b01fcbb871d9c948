using k8s.Models;
using Navarch.Kubelet.Pods;

namespace Navarch.Kubelet.Tests;

/// <summary>The kubelet's resolv.conf rules for each dnsPolicy and the merging of spec.dnsConfig.</summary>
[Trait("Category", "Unit")]
public sealed class PodDnsTests
{
    private static readonly ResolvConfig Host = ResolvConfig.Parse(["# node", "nameserver 192.0.2.53", "nameserver 192.0.2.54", "search corp.example lab.example.", "options timeout:2 rotate"]);

    private static V1Pod Pod(string? policy, bool hostNetwork = false, V1PodDNSConfig? config = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "team-a" },
        Spec = new V1PodSpec { DnsPolicy = policy, HostNetwork = hostNetwork, DnsConfig = config, Containers = [new V1Container { Name = "c" }] },
    };

    private static readonly string[] ClusterSearch = ["team-a.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example"];

    public static TheoryData<string?, bool, string[], string[], string[]> Policies => new()
    {
        // ClusterFirst is the default: the cluster DNS, the pod's search path then the node's, ndots:5.
        { null, false, ["10.43.0.10"], ClusterSearch, ["ndots:5"] },
        { "ClusterFirst", false, ["10.43.0.10"], ClusterSearch, ["ndots:5"] },
        // On the host network ClusterFirst falls back to the node's resolv.conf; ClusterFirstWithHostNet does not.
        { "ClusterFirst", true, ["192.0.2.53", "192.0.2.54"], ["corp.example", "lab.example"], ["timeout:2", "rotate"] },
        { "ClusterFirstWithHostNet", true, ["10.43.0.10"], ClusterSearch, ["ndots:5"] },
        { "Default", false, ["192.0.2.53", "192.0.2.54"], ["corp.example", "lab.example"], ["timeout:2", "rotate"] },
        { "None", false, [], [], [] },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void Each_policy_gives_its_resolv_conf(string? policy, bool hostNetwork, string[] servers, string[] searches, string[] options)
    {
        ResolvConfig config = PodDns.For(Pod(policy, hostNetwork), "10.43.0.10", "cluster.local", Host);

        Assert.Equal(servers, config.Nameservers);
        Assert.Equal(searches, config.Searches);
        Assert.Equal(options, config.Options);
    }

    [Fact]
    public void Cluster_first_without_a_cluster_dns_uses_the_node()
    {
        ResolvConfig config = PodDns.For(Pod("ClusterFirst"), "", "cluster.local", Host);

        Assert.Equal(["192.0.2.53", "192.0.2.54"], config.Nameservers);
    }

    [Fact]
    public void Dns_config_is_appended_without_duplicates_and_its_options_override_by_name()
    {
        var extra = new V1PodDNSConfig
        {
            Nameservers = ["10.43.0.10", "1.1.1.1", "8.8.8.8"],
            Searches = ["svc.cluster.local", "extra.example"],
            Options = [new V1PodDNSConfigOption { Name = "ndots", Value = "2" }, new V1PodDNSConfigOption { Name = "edns0" }],
        };

        ResolvConfig config = PodDns.For(Pod("ClusterFirst", config: extra), "10.43.0.10", "cluster.local", Host);

        // The duplicate cluster DNS is dropped before the limit of three is applied.
        Assert.Equal(["10.43.0.10", "1.1.1.1", "8.8.8.8"], config.Nameservers);
        Assert.Equal([.. ClusterSearch, "extra.example"], config.Searches);
        Assert.Equal(["ndots:2", "edns0"], config.Options);
    }

    [Fact]
    public void None_takes_only_the_dns_config_and_limits_apply()
    {
        var extra = new V1PodDNSConfig
        {
            Nameservers = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"],
            Searches = Enumerable.Range(0, 40).Select(i => $"d{i}.example").ToList(),
            Options = [new V1PodDNSConfigOption { Name = "ndots", Value = "1" }],
        };

        ResolvConfig config = PodDns.For(Pod("None", config: extra), "10.43.0.10", "cluster.local", Host);

        Assert.Equal(["192.0.2.1", "192.0.2.2", "192.0.2.3"], config.Nameservers);
        Assert.Equal(PodDns.MaxSearchPaths, config.Searches.Count);
        Assert.Equal("d0.example", config.Searches[0]);
        Assert.Equal(["ndots:1"], config.Options);
    }

    [Fact]
    public void Search_domains_stop_at_2048_characters()
    {
        var extra = new V1PodDNSConfig { Searches = Enumerable.Range(0, 20).Select(i => new string((char)('a' + i), 200)).ToList() };

        ResolvConfig config = PodDns.For(Pod("None", config: extra), "10.43.0.10", "cluster.local", Host);

        // Ten 200-character domains and nine spaces fit in 2048; an eleventh would not.
        Assert.Equal(10, config.Searches.Count);
        Assert.True(string.Join(' ', config.Searches).Length <= PodDns.MaxSearchListChars);
    }

    [Fact]
    public void The_last_search_line_of_resolv_conf_wins()
    {
        ResolvConfig parsed = ResolvConfig.Parse(["search a.example", "domain b.example", "search c.example d.example", "nameserver 10.0.0.1 # comment"]);

        Assert.Equal(["c.example", "d.example"], parsed.Searches);
        Assert.Equal(["10.0.0.1"], parsed.Nameservers);
    }
}
