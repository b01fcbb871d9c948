using System.Net;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Models;

namespace Navarch.Dns.Tests;

/// <summary>The cluster DNS server over UDP and TCP, fed by a real API server, forwarding to a real upstream server.</summary>
[Trait("Category", "Integration")]
public sealed class ClusterDnsTests(DnsCluster cluster) : IClassFixture<DnsCluster>
{
    private const string Ns = "default";

    private Kubernetes Client => cluster.Client;

    [Fact]
    public async Task A_service_name_answers_its_cluster_ip_authoritatively_with_a_five_second_ttl()
    {
        V1Service service = await CreateService("web", headless: false, new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" });

        DnsMessage answer = await cluster.QueryAsync("web.default.svc.cluster.local", RecordType.A);

        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        ARecord a = Assert.IsType<ARecord>(Assert.Single(answer.AnswerRecords));
        Assert.Equal(IPAddress.Parse(service.Spec.ClusterIP), a.Address);
        Assert.Equal(5, a.TimeToLive);
    }

    [Fact]
    public async Task The_kubernetes_service_resolves_to_the_first_service_address()
    {
        V1Service kubernetes = await Client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default");

        DnsMessage answer = await cluster.QueryAsync("kubernetes.default.svc.cluster.local", RecordType.A);

        Assert.Equal("10.43.0.1", kubernetes.Spec.ClusterIP);
        Assert.Equal(IPAddress.Parse("10.43.0.1"), Assert.IsType<ARecord>(Assert.Single(answer.AnswerRecords)).Address);
    }

    [Fact]
    public async Task A_headless_service_answers_its_ready_endpoints_only()
    {
        await CreateService("peers", headless: true, new V1ServicePort { Name = "gossip", Port = 7000, Protocol = "TCP" });
        await CreateSlice("peers", "peers-1", ("10.42.0.11", "peer-0", true), ("10.42.0.12", null, true), ("10.42.0.13", null, false));

        DnsMessage answer = await cluster.QueryAsync("peers.default.svc.cluster.local", RecordType.A);

        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.Equal(["10.42.0.11", "10.42.0.12"], answer.AnswerRecords.OfType<ARecord>().Select(r => r.Address.ToString()).Order());
    }

    [Fact]
    public async Task Endpoints_answer_by_hostname_and_by_dashed_address()
    {
        await CreateService("db", headless: true, new V1ServicePort { Name = "sql", Port = 5432, Protocol = "TCP" });
        await CreateSlice("db", "db-1", ("10.42.1.5", "db-0", true), ("10.42.1.6", null, true));

        DnsMessage byHostname = await cluster.QueryAsync("db-0.db.default.svc.cluster.local", RecordType.A);
        DnsMessage byAddress = await cluster.QueryAsync("10-42-1-6.db.default.svc.cluster.local", RecordType.A);
        DnsMessage unknown = await cluster.QueryAsync("db-9.db.default.svc.cluster.local", RecordType.A);

        Assert.Equal(IPAddress.Parse("10.42.1.5"), Assert.IsType<ARecord>(Assert.Single(byHostname.AnswerRecords)).Address);
        Assert.Equal(IPAddress.Parse("10.42.1.6"), Assert.IsType<ARecord>(Assert.Single(byAddress.AnswerRecords)).Address);
        Assert.Equal(ReturnCode.NxDomain, unknown.ReturnCode);
    }

    [Fact]
    public async Task Srv_of_a_named_port_points_at_the_service_with_its_address_in_the_additional_section()
    {
        V1Service service = await CreateService("api", headless: false,
            new V1ServicePort { Name = "http", Port = 8080, Protocol = "TCP" }, new V1ServicePort { Name = "dns", Port = 53, Protocol = "UDP" });

        DnsMessage answer = await cluster.QueryAsync("_http._tcp.api.default.svc.cluster.local", RecordType.Srv);
        DnsMessage wrongProtocol = await cluster.QueryAsync("_http._udp.api.default.svc.cluster.local", RecordType.Srv);

        SrvRecord srv = Assert.IsType<SrvRecord>(Assert.Single(answer.AnswerRecords));
        Assert.Equal((8080, "api.default.svc.cluster.local."), (srv.Port, srv.Target.ToString()));
        ARecord extra = Assert.Single(answer.AdditionalRecords.OfType<ARecord>());
        Assert.Equal((srv.Target, IPAddress.Parse(service.Spec.ClusterIP)), (extra.Name, extra.Address));
        Assert.Equal(ReturnCode.NxDomain, wrongProtocol.ReturnCode);
    }

    [Fact]
    public async Task Srv_of_a_headless_service_names_each_endpoint_with_its_address()
    {
        await CreateService("kafka", headless: true, new V1ServicePort { Name = "broker", Port = 9092, Protocol = "TCP" });
        await CreateSlice("kafka", "kafka-1", ("10.42.2.1", "kafka-0", true), ("10.42.2.2", null, true), ("10.42.2.3", "kafka-2", false));

        DnsMessage answer = await cluster.QueryAsync("_broker._tcp.kafka.default.svc.cluster.local", RecordType.Srv);

        Assert.Equal(
            ["10-42-2-2.kafka.default.svc.cluster.local.", "kafka-0.kafka.default.svc.cluster.local."],
            answer.AnswerRecords.OfType<SrvRecord>().Select(s => s.Target.ToString()).Order());
        Assert.All(answer.AnswerRecords.OfType<SrvRecord>(), s => Assert.Equal(9092, s.Port));
        Assert.Equal(
            ["10-42-2-2.kafka.default.svc.cluster.local.=10.42.2.2", "kafka-0.kafka.default.svc.cluster.local.=10.42.2.1"],
            answer.AdditionalRecords.OfType<ARecord>().Select(a => $"{a.Name}={a.Address}").Order());
    }

    [Fact]
    public async Task An_external_name_service_is_a_cname_followed_for_addresses()
    {
        V1Service partner = await Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "partner" },
            Spec = new V1ServiceSpec { Type = "ExternalName", ExternalName = "target.example.test" },
        }, Ns);
        await cluster.WaitForInformerAsync(partner);

        DnsMessage cname = await cluster.QueryAsync("partner.default.svc.cluster.local", RecordType.CName);
        DnsMessage address = await cluster.QueryAsync("partner.default.svc.cluster.local", RecordType.A);

        Assert.Equal("target.example.test.", Assert.IsType<CNameRecord>(Assert.Single(cname.AnswerRecords)).CanonicalName.ToString());
        Assert.Equal(ReturnCode.NoError, address.ReturnCode);
        Assert.IsType<CNameRecord>(address.AnswerRecords[0]);
        Assert.Equal(FakeUpstream.TargetAddress, Assert.IsType<ARecord>(address.AnswerRecords[1]).Address);
    }

    [Fact]
    public async Task A_pod_name_answers_the_address_it_encodes()
    {
        DnsMessage answer = await cluster.QueryAsync("10-42-0-7.anything.pod.cluster.local", RecordType.A);
        DnsMessage invalid = await cluster.QueryAsync("not-an-ip.default.pod.cluster.local", RecordType.A);

        Assert.Equal(IPAddress.Parse("10.42.0.7"), Assert.IsType<ARecord>(Assert.Single(answer.AnswerRecords)).Address);
        Assert.Equal(ReturnCode.NxDomain, invalid.ReturnCode);
    }

    [Theory]
    [InlineData("missing.default.svc.cluster.local")]
    [InlineData("www.example.test.default.svc.cluster.local")]
    [InlineData("nowhere.cluster.local")]
    [InlineData("ghost-namespace.svc.cluster.local")]
    public async Task A_missing_name_in_the_cluster_domain_is_nxdomain_with_the_soa(string name)
    {
        int upstreamBefore = cluster.Upstream.Queries;

        DnsMessage answer = await cluster.QueryAsync(name, RecordType.A);

        Assert.Equal(ReturnCode.NxDomain, answer.ReturnCode);
        Assert.Empty(answer.AnswerRecords);
        SoaRecord soa = Assert.IsType<SoaRecord>(Assert.Single(answer.AuthorityRecords));
        Assert.Equal("cluster.local.", soa.Name.ToString());
        Assert.Equal(upstreamBefore, cluster.Upstream.Queries);
    }

    [Fact]
    public async Task An_existing_name_without_the_type_is_nodata()
    {
        await CreateService("cache", headless: false, new V1ServicePort { Name = "redis", Port = 6379, Protocol = "TCP" });

        DnsMessage mx = await cluster.QueryAsync("cache.default.svc.cluster.local", RecordType.Mx);
        DnsMessage aaaa = await cluster.QueryAsync("cache.default.svc.cluster.local", RecordType.Aaaa);
        DnsMessage emptyNonTerminal = await cluster.QueryAsync("svc.cluster.local", RecordType.A);

        foreach (DnsMessage answer in new[] { mx, aaaa, emptyNonTerminal })
        {
            Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
            Assert.Empty(answer.AnswerRecords);
            Assert.IsType<SoaRecord>(Assert.Single(answer.AuthorityRecords));
        }
    }

    [Fact]
    public async Task Names_outside_the_domain_are_forwarded_and_the_answer_is_cached()
    {
        int before = cluster.Upstream.Queries;

        DnsMessage first = await cluster.QueryAsync("www.example.test", RecordType.A);
        DnsMessage second = await cluster.QueryAsync("WWW.example.test", RecordType.A);
        DnsMessage missing = await cluster.QueryAsync("nope.example.test", RecordType.A);

        Assert.Equal(FakeUpstream.WwwAddress, Assert.IsType<ARecord>(Assert.Single(first.AnswerRecords)).Address);
        Assert.False(first.IsAuthoritiveAnswer);
        Assert.True(first.IsRecursionAllowed);
        Assert.Equal(FakeUpstream.WwwAddress, Assert.IsType<ARecord>(Assert.Single(second.AnswerRecords)).Address);
        Assert.InRange(Assert.Single(second.AnswerRecords).TimeToLive, 1, 30);
        Assert.Equal(ReturnCode.NxDomain, missing.ReturnCode);
        Assert.IsType<SoaRecord>(Assert.Single(missing.AuthorityRecords));
        // www asked once (the second, differently cased question came from the cache), nope once.
        Assert.Equal(2, cluster.Upstream.Queries - before);
    }

    [Fact]
    public async Task An_unreachable_upstream_gives_servfail()
    {
        var nowhere = new IPEndPoint(IPAddress.Loopback, Navarch.Testing.FreePort.Next());
        await using ClusterDnsServer isolated = await cluster.StartDnsAsync([nowhere]);

        DnsMessage answer = await DnsCluster.QueryAsync(isolated, "www.example.test", RecordType.A);
        DnsMessage cluster1 = await DnsCluster.QueryAsync(isolated, "kubernetes.default.svc.cluster.local", RecordType.A);

        Assert.Equal(ReturnCode.ServerFailure, answer.ReturnCode);
        Assert.Equal(ReturnCode.NoError, cluster1.ReturnCode);
    }

    [Fact]
    public async Task Tcp_queries_are_answered()
    {
        DnsMessage cluster1 = await cluster.QueryAsync("kubernetes.default.svc.cluster.local", RecordType.A, tcp: true);
        DnsMessage forwarded = await cluster.QueryAsync("target.example.test", RecordType.A, tcp: true);

        Assert.Equal(IPAddress.Parse("10.43.0.1"), Assert.IsType<ARecord>(Assert.Single(cluster1.AnswerRecords)).Address);
        Assert.Equal(FakeUpstream.TargetAddress, Assert.IsType<ARecord>(Assert.Single(forwarded.AnswerRecords)).Address);
    }

    [Fact]
    public async Task Changes_are_answered_as_soon_as_the_informer_has_them_despite_the_cache()
    {
        await CreateService("grow", headless: true, new V1ServicePort { Name = "p", Port = 1, Protocol = "TCP" });
        V1EndpointSlice slice = await CreateSlice("grow", "grow-1", ("10.42.3.1", null, true));
        Assert.Single((await cluster.QueryAsync("grow.default.svc.cluster.local", RecordType.A)).AnswerRecords);

        slice.Endpoints.Add(new V1Endpoint { Addresses = ["10.42.3.2"], Conditions = new V1EndpointConditions { Ready = true } });
        V1EndpointSlice updated = await Client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, Ns);
        await cluster.WaitForInformerAsync(updated);
        DnsMessage grown = await cluster.QueryAsync("grow.default.svc.cluster.local", RecordType.A);

        V1Service gone = await Client.CoreV1.ReadNamespacedServiceAsync("grow", Ns);
        await Client.CoreV1.DeleteNamespacedServiceAsync("grow", Ns);
        await cluster.WaitForInformerAsync(gone, deleted: true);
        DnsMessage deleted = await cluster.QueryAsync("grow.default.svc.cluster.local", RecordType.A);

        Assert.Equal(["10.42.3.1", "10.42.3.2"], grown.AnswerRecords.OfType<ARecord>().Select(a => a.Address.ToString()).Order());
        Assert.Equal(ReturnCode.NxDomain, deleted.ReturnCode);
    }

    [Fact]
    public async Task Reverse_names_of_cluster_addresses_point_at_services_and_endpoints_and_others_are_forwarded()
    {
        V1Service service = await CreateService("rev", headless: false, new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" });
        await CreateService("revh", headless: true, new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" });
        await CreateSlice("revh", "revh-1", ("10.42.9.4", "node-a", true));
        string[] ip = service.Spec.ClusterIP.Split('.');
        int upstreamBefore = cluster.Upstream.Queries;

        DnsMessage byClusterIp = await cluster.QueryAsync($"{ip[3]}.{ip[2]}.{ip[1]}.{ip[0]}.in-addr.arpa", RecordType.Ptr);
        DnsMessage byEndpoint = await cluster.QueryAsync("4.9.42.10.in-addr.arpa", RecordType.Ptr);
        Assert.Equal(upstreamBefore, cluster.Upstream.Queries);
        DnsMessage elsewhere = await cluster.QueryAsync("1.2.0.192.in-addr.arpa", RecordType.Ptr);

        Assert.Equal("rev.default.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(byClusterIp.AnswerRecords)).PointerDomainName.ToString());
        Assert.Equal("node-a.revh.default.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(byEndpoint.AnswerRecords)).PointerDomainName.ToString());
        Assert.Equal(ReturnCode.NxDomain, elsewhere.ReturnCode);
        Assert.Equal(upstreamBefore + 1, cluster.Upstream.Queries);
    }

    [Fact]
    public async Task Kube_dns_is_published_with_its_cluster_ip_and_republished_in_place()
    {
        var publisher = new Navarch.Client.Publishing.SelectorlessServicePublisher(Client, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await Navarch.Dns.Publishing.KubeDnsService.PublishAsync(publisher, "10.43.0.10", IPAddress.Parse("192.0.2.7"), 53, "node-1", CancellationToken.None);
        V1Service first = await Client.CoreV1.ReadNamespacedServiceAsync("kube-dns", "kube-system");

        // A restart on another address: the same Service, its endpoints moved.
        await Navarch.Dns.Publishing.KubeDnsService.PublishAsync(publisher, "10.43.0.10", IPAddress.Parse("192.0.2.8"), 5353, "node-1", CancellationToken.None);
        V1Service service = await Client.CoreV1.ReadNamespacedServiceAsync("kube-dns", "kube-system");
        V1Endpoints endpoints = await Client.CoreV1.ReadNamespacedEndpointsAsync("kube-dns", "kube-system");
        V1EndpointSlice slice = Assert.Single((await Client.DiscoveryV1.ListNamespacedEndpointSliceAsync("kube-system", labelSelector: "kubernetes.io/service-name=kube-dns")).Items);
        await cluster.WaitForInformerAsync(service);
        DnsMessage ns = await cluster.QueryAsync("ns.dns.cluster.local", RecordType.A);

        Assert.Equal(first.Metadata.Uid, service.Metadata.Uid);
        Assert.Equal("10.43.0.10", service.Spec.ClusterIP);
        Assert.Null(service.Spec.Selector);
        Assert.Equal("kube-dns", service.Metadata.Labels["k8s-app"]);
        Assert.Equal(["dns/UDP/53/5353", "dns-tcp/TCP/53/5353"], service.Spec.Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}/{p.TargetPort.Value}"));
        Assert.Equal("192.0.2.8", Assert.Single(Assert.Single(endpoints.Subsets).Addresses).Ip);
        Assert.Equal(["dns/UDP/5353", "dns-tcp/TCP/5353"], endpoints.Subsets[0].Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}"));
        Assert.Equal(["192.0.2.8"], Assert.Single(slice.Endpoints).Addresses);
        Assert.Equal(Navarch.Client.Publishing.SelectorlessServicePublisher.ManagedBy, slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal(service.Metadata.Uid, Assert.Single(slice.Metadata.OwnerReferences).Uid);
        Assert.Equal(IPAddress.Parse("10.43.0.10"), Assert.IsType<ARecord>(Assert.Single(ns.AnswerRecords)).Address);
    }

    private Task<V1Service> CreateService(string name, bool headless, params V1ServicePort[] ports) => cluster.CreateServiceAsync(Ns, name, headless, ports);

    private Task<V1EndpointSlice> CreateSlice(string service, string name, params (string Ip, string? Hostname, bool Ready)[] endpoints) =>
        cluster.CreateSliceAsync(Ns, service, name, endpoints);
}
