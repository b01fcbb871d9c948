using System.Globalization;
using System.Net;
using ARSoft.Tools.Net.Dns;
using Navarch.Testing;

namespace Navarch.Dns.Tests;

/// <summary>CoreDNS's metrics from the cluster DNS server, scraped over HTTP from its metrics port after real queries.</summary>
[Trait("Category", "Integration")]
public sealed class DnsMetricsTests(DnsCluster cluster) : IClassFixture<DnsCluster>
{
    private static double? Sample(string text, string series) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal)) is { } line
            ? double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture)
            : null;

    [Fact]
    public async Task Requests_responses_by_rcode_and_durations_are_counted_as_CoreDNS_counts_them()
    {
        int metricsPort = FreePort.Next();
        await using ClusterDnsServer dns = await cluster.StartDnsAsync([cluster.Upstream.Endpoint], o => new ClusterDnsOptions
        {
            Listen = o.Listen,
            Upstreams = o.Upstreams,
            UpstreamTimeout = o.UpstreamTimeout,
            MetricsPort = metricsPort,
        });
        string server = $"dns://127.0.0.1:{dns.Listen.Port}";

        Assert.Equal(ReturnCode.NoError, (await DnsCluster.QueryAsync(dns, "kubernetes.default.svc.cluster.local", RecordType.A)).ReturnCode);
        Assert.Equal(ReturnCode.NxDomain, (await DnsCluster.QueryAsync(dns, "nothing-here.default.svc.cluster.local", RecordType.A)).ReturnCode);
        Assert.Equal(ReturnCode.NoError, (await DnsCluster.QueryAsync(dns, "kubernetes.default.svc.cluster.local", RecordType.Srv, tcp: true)).ReturnCode);

        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        // At least: a client on a loaded machine may ask again over UDP.
        Assert.True(Sample(text, $"coredns_dns_requests_total{{server=\"{server}\",zone=\".\",view=\"\",proto=\"udp\",family=\"1\",type=\"A\"}}") >= 2, text);
        Assert.Equal(1, Sample(text, $"coredns_dns_requests_total{{server=\"{server}\",zone=\".\",view=\"\",proto=\"tcp\",family=\"1\",type=\"SRV\"}}"));
        Assert.True(Sample(text, $"coredns_dns_responses_total{{server=\"{server}\",zone=\".\",view=\"\",rcode=\"NOERROR\",plugin=\"\"}}") >= 2, text);
        Assert.True(Sample(text, $"coredns_dns_responses_total{{server=\"{server}\",zone=\".\",view=\"\",rcode=\"NXDOMAIN\",plugin=\"\"}}") >= 1, text);
        Assert.True(Sample(text, $"coredns_dns_request_duration_seconds_count{{server=\"{server}\",zone=\".\",view=\"\",type=\"A\"}}") >= 2, text);
        Assert.NotNull(Sample(text, $"coredns_dns_request_duration_seconds_bucket{{server=\"{server}\",zone=\".\",view=\"\",type=\"A\",le=\"0.00025\"}}"));
    }
}
