using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using Prometheus;

namespace Navarch.Dns.Metrics;

/// <summary>
/// CoreDNS's request metrics (its prometheus plugin, which Kubernetes' DNS dashboards read) with their names, labels
/// and buckets: <c>coredns_dns_requests_total</c>{server, zone, view, proto, family, type},
/// <c>coredns_dns_responses_total</c>{server, zone, view, rcode, plugin} and
/// <c>coredns_dns_request_duration_seconds</c>{server, zone, view, type}. Everything is served from one server block
/// for the root zone, so <c>zone</c> is "." and <c>view</c> empty, as in a default CoreDNS Corefile.
/// </summary>
internal sealed class DnsMetrics
{
    /// <summary>The query types CoreDNS reports by name; any other is "other", so clients cannot grow the series.</summary>
    private static readonly HashSet<RecordType> MonitoredTypes = [RecordType.A, RecordType.Aaaa, RecordType.Afsdb, RecordType.CName, RecordType.DnsKey, RecordType.Ds, RecordType.Ixfr, RecordType.Mx, RecordType.Naptr, RecordType.Ns, RecordType.Opt, RecordType.Ptr, RecordType.RrSig, RecordType.Soa, RecordType.Srv, RecordType.Txt, RecordType.Axfr, RecordType.Any];

    private readonly string _server;

    private readonly Counter _requests;

    private readonly Counter _responses;

    private readonly Histogram _durations;

    public DnsMetrics(CollectorRegistry registry, IPEndPoint listen)
    {
        _server = $"dns://{(listen.Address.Equals(IPAddress.Any) ? "" : listen.Address.ToString())}:{listen.Port}";
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _requests = factory.CreateCounter("coredns_dns_requests_total", "Counter of DNS requests made per zone, protocol and family.", ["server", "zone", "view", "proto", "family", "type"]);
        _responses = factory.CreateCounter("coredns_dns_responses_total", "Counter of response status codes.", ["server", "zone", "view", "rcode", "plugin"]);
        _durations = factory.CreateHistogram("coredns_dns_request_duration_seconds", "Histogram of the time (in seconds) each request took per zone.", ["server", "zone", "view", "type"], new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00025, 2, 16) });
    }

    /// <summary>Records one answered query that arrived at <paramref name="startTimestamp"/>.</summary>
    public void Answered(DnsMessage query, DnsMessage? response, TransportProtocol transport, IPAddress client, long startTimestamp)
    {
        string type = query.Questions.Count > 0 && MonitoredTypes.Contains(query.Questions[0].RecordType) ? query.Questions[0].RecordType.ToString().ToUpperInvariant() : "other";
        string proto = transport == TransportProtocol.Tcp ? "tcp" : "udp";
        string family = client.AddressFamily == AddressFamily.InterNetworkV6 && !client.IsIPv4MappedToIPv6 ? "2" : "1";
        _requests.WithLabels(_server, ".", "", proto, family, type).Inc();
        _durations.WithLabels(_server, ".", "", type).Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        _responses.WithLabels(_server, ".", "", Rcode(response?.ReturnCode ?? ReturnCode.ServerFailure), "").Inc();
    }

    /// <summary>The rcode as CoreDNS (miekg/dns) names it.</summary>
    private static string Rcode(ReturnCode code) => code switch
    {
        ReturnCode.NoError => "NOERROR",
        ReturnCode.FormatError => "FORMERR",
        ReturnCode.ServerFailure => "SERVFAIL",
        ReturnCode.NxDomain => "NXDOMAIN",
        ReturnCode.NotImplemented => "NOTIMP",
        ReturnCode.Refused => "REFUSED",
        (ReturnCode)6 => "YXDOMAIN",
        (ReturnCode)7 => "YXRRSET",
        (ReturnCode)8 => "NXRRSET",
        ReturnCode.NotAuthoritive => "NOTAUTH",
        ReturnCode.NotZone => "NOTZONE",
        _ => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
