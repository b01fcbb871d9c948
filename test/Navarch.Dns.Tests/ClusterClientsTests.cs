using System.Net;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Navarch.Dns.Access;

namespace Navarch.Dns.Tests;

/// <summary>Who the cluster DNS answers: the cluster's networks, its nodes, this host; nobody else.</summary>
[Trait("Category", "Unit")]
public sealed class ClusterClientsTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<IPAddress> _local = [IPAddress.Parse("192.168.1.10")];
    private int _localReads;

    public static TheoryData<string, bool> Sources => new()
    {
        { "10.42.3.7", true },            // a pod (cluster CIDR)
        { "10.43.0.10", true },           // the service network
        { "127.0.0.1", true },            // loopback
        { "127.53.0.1", true },
        { "::1", true },
        { "::ffff:10.42.0.5", true },     // a pod as a dual-mode socket sees it
        { "172.20.0.11", true },          // node-a's InternalIP (its pods masqueraded on the way out)
        { "203.0.113.9", true },          // node-a's ExternalIP
        { "10.244.1.20", true },          // a pod of node-b's podCIDR outside --cluster-cidr
        { "192.168.1.10", true },         // this host
        { "172.20.0.99", false },         // a neighbour on the nodes' network
        { "8.8.8.8", false },             // the Internet
        { "::ffff:8.8.8.8", false },
        { "2001:db8::1", false },
        { "10.44.0.1", false },           // just past the service CIDR
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public void Answers_the_cluster_and_refuses_the_rest(string source, bool allowed)
    {
        ClusterClients clients = Clients();
        clients.OnAdd(Node("node-a", ["172.20.0.11", "203.0.113.9"], "10.42.0.0/24"));
        clients.OnAdd(Node("node-b", ["172.20.0.12"], "10.244.1.0/24"));

        Assert.Equal(allowed, clients.Allows(IPAddress.Parse(source)));
    }

    [Fact]
    public void A_node_counts_from_when_it_is_seen_until_it_is_deleted_and_moves_with_its_address()
    {
        ClusterClients clients = Clients();
        var address = IPAddress.Parse("172.20.0.13");
        Assert.False(clients.Allows(address));

        V1Node node = Node("node-c", ["172.20.0.13"], "10.42.2.0/24");
        clients.OnAdd(node);
        Assert.True(clients.Allows(address));

        V1Node moved = Node("node-c", ["172.20.0.14"], "10.42.2.0/24");
        clients.OnUpdate(node, moved);
        Assert.False(clients.Allows(address));
        Assert.True(clients.Allows(IPAddress.Parse("172.20.0.14")));

        clients.OnDelete(moved, finalStateUnknown: false);
        Assert.False(clients.Allows(IPAddress.Parse("172.20.0.14")));
    }

    [Fact]
    public void This_hosts_addresses_are_read_again_for_an_unknown_client_at_most_every_ten_seconds()
    {
        ClusterClients clients = Clients();
        var outsider = IPAddress.Parse("198.51.100.1");

        Assert.False(clients.Allows(outsider));
        Assert.False(clients.Allows(outsider));
        Assert.Equal(1, _localReads);

        // An address added to an interface: known once the list is stale and read again.
        _local.Add(outsider);
        Assert.False(clients.Allows(outsider));
        _time.Advance(ClusterClients.LocalAddressesMaxAge);
        Assert.True(clients.Allows(outsider));
        Assert.Equal(2, _localReads);

        // Known clients never read the list.
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(clients.Allows(IPAddress.Parse("10.42.0.9")));
        Assert.True(clients.Allows(outsider));
        Assert.Equal(2, _localReads);
    }

    private ClusterClients Clients() => new([IPNetwork.Parse("10.42.0.0/16"), IPNetwork.Parse("10.43.0.0/16")], ReadLocal, _time);

    private List<IPAddress> ReadLocal()
    {
        _localReads++;
        return [.. _local];
    }

    private static V1Node Node(string name, string[] addresses, string podCidr) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1NodeSpec { PodCIDR = podCidr, PodCIDRs = [podCidr] },
        Status = new V1NodeStatus
        {
            Addresses = [.. addresses.Select(a => new V1NodeAddress { Type = a.StartsWith("203.", StringComparison.Ordinal) ? "ExternalIP" : "InternalIP", Address = a }), new V1NodeAddress { Type = "Hostname", Address = name }],
        },
    };
}
