using System.Net;
using ARSoft.Tools.Net.Dns;
using k8s.Models;

namespace Navarch.Dns.Tests;

/// <summary>
/// What keeps the cluster DNS from being an amplifier or a sink, as CoreDNS does it: UDP answers no bigger than the
/// client can take (512 bytes, or its EDNS size up to 1232) and truncated beyond, ANY answered minimally (RFC 8482),
/// no zone transfers, and a bound on questions waiting on the upstreams.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ResponseHygieneTests(DnsCluster cluster) : IClassFixture<DnsCluster>
{
    [Fact]
    public async Task Any_outside_the_cluster_gets_the_rfc8482_answer_without_asking_upstream()
    {
        int before = cluster.Upstream.Queries;

        DnsMessage answer = await cluster.QueryAsync("www.example.test", RecordType.Any);

        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        HInfoRecord hinfo = Assert.IsType<HInfoRecord>(Assert.Single(answer.AnswerRecords));
        Assert.Equal("RFC8482", hinfo.Cpu);
        Assert.Equal(before, cluster.Upstream.Queries);
    }

    [Fact]
    public async Task Any_in_the_cluster_answers_the_addresses_only()
    {
        DnsMessage answer = await cluster.QueryAsync("kubernetes.default.svc.cluster.local", RecordType.Any);

        Assert.Equal(IPAddress.Parse("10.43.0.1"), Assert.IsType<ARecord>(Assert.Single(answer.AnswerRecords)).Address);
    }

    [Theory]
    [InlineData("cluster.local", RecordType.Axfr)]
    [InlineData("cluster.local", RecordType.Ixfr)]
    [InlineData("example.test", RecordType.Axfr)]
    public async Task Zone_transfers_are_refused_and_never_forwarded(string zone, RecordType type)
    {
        int before = cluster.Upstream.Queries;

        DnsMessage answer = await cluster.QueryAsync(zone, type, tcp: true);

        Assert.Equal(ReturnCode.Refused, answer.ReturnCode);
        Assert.Empty(answer.AnswerRecords);
        Assert.Equal(before, cluster.Upstream.Queries);
    }

    [Theory]
    [InlineData("wide.default.svc.cluster.local")]
    [InlineData("many.example.test")]
    public async Task A_big_answer_is_truncated_over_udp_to_what_the_client_takes_and_whole_over_tcp(string name)
    {
        await EnsureWideServiceAsync();

        (DnsMessage plain, int plainSize) = await RawDnsClient.ExchangeAsync(cluster.Dns.Listen, name, RecordType.A);
        (DnsMessage edns, int ednsSize) = await RawDnsClient.ExchangeAsync(cluster.Dns.Listen, name, RecordType.A, ednsPayload: 4096);
        DnsMessage tcp = await cluster.QueryAsync(name, RecordType.A, tcp: true);

        Assert.True(plain.IsTruncated);
        Assert.InRange(plainSize, 1, 512);
        Assert.True(edns.IsTruncated);
        Assert.InRange(ednsSize, 513, 1232);
        Assert.False(tcp.IsTruncated);
        Assert.Equal(100, tcp.AnswerRecords.OfType<ARecord>().Count());
    }

    [Fact]
    public async Task Questions_beyond_the_forward_limit_are_refused_at_once_and_the_limit_frees_up()
    {
        await using ClusterDnsServer limited = await cluster.StartDnsAsync([cluster.Upstream.Endpoint], o => new ClusterDnsOptions
        {
            Listen = o.Listen,
            Upstreams = o.Upstreams,
            UpstreamTimeout = TimeSpan.FromSeconds(10),
            MaxConcurrentForwards = 2,
        });
        cluster.Upstream.HoldSlow();
        try
        {
            Task<DnsMessage> first = DnsCluster.QueryAsync(limited, "slow-1.example.test", RecordType.A);
            Task<DnsMessage> second = DnsCluster.QueryAsync(limited, "slow-2.example.test", RecordType.A);
            await Eventually(() => cluster.Upstream.Waiting == 2, "two questions wait on the upstream", interval: TimeSpan.FromMilliseconds(10));

            DnsMessage third = await DnsCluster.QueryAsync(limited, "slow-3.example.test", RecordType.A);
            DnsMessage cluster1 = await DnsCluster.QueryAsync(limited, "kubernetes.default.svc.cluster.local", RecordType.A);
            cluster.Upstream.ReleaseSlow();

            Assert.Equal(ReturnCode.Refused, third.ReturnCode);
            Assert.Equal(ReturnCode.NoError, cluster1.ReturnCode);
            Assert.Equal(ReturnCode.NoError, (await first).ReturnCode);
            Assert.Equal(ReturnCode.NoError, (await second).ReturnCode);
            Assert.Equal(ReturnCode.NoError, (await DnsCluster.QueryAsync(limited, "slow-4.example.test", RecordType.A)).ReturnCode);
        }
        finally
        {
            cluster.Upstream.ReleaseSlow();
        }
    }

    /// <summary>A headless Service with 100 ready endpoints: its A answer is about 1.7 kB.</summary>
    private async Task EnsureWideServiceAsync()
    {
        if (cluster.Dns.State.Service("default", "wide") is not null)
        {
            return;
        }

        await cluster.CreateServiceAsync("default", "wide", headless: true, new V1ServicePort { Name = "p", Port = 1, Protocol = "TCP" });
        await cluster.CreateSliceAsync("default", "wide", "wide-1", [.. Enumerable.Range(1, 100).Select(i => ($"10.42.7.{i}", (string?)null, true))]);
    }
}
