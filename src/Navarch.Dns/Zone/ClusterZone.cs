using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using k8s.Models;

namespace Navarch.Dns.Zone;

/// <summary>
/// Answers questions inside the cluster domain the way CoreDNS's kubernetes plugin does (the Kubernetes DNS
/// specification): <c>svc.ns.svc.zone</c> A/AAAA (ClusterIPs, or the ready endpoints of a headless Service), CNAME for
/// ExternalName, SRV <c>_port._proto.svc.ns.svc.zone</c> with the targets' addresses as additional records,
/// <c>host.svc.ns.svc.zone</c> for endpoints, <c>a-b-c-d.ns.pod.zone</c> (CoreDNS's <c>pods insecure</c>), and
/// NXDOMAIN/NODATA with the zone's SOA. Every record has the same short TTL.
/// </summary>
internal sealed class ClusterZone
{
    private const string DnsVersion = "1.1.0";
    private readonly ClusterState _state;
    private readonly DomainName _zone;
    private readonly int _ttl;
    private readonly string _zoneSuffix;
    private readonly DomainName _nameserver;

    public ClusterZone(ClusterState state, DomainName zone, int ttl)
    {
        _state = state;
        _zone = zone;
        _ttl = ttl;
        _zoneSuffix = zone.ToString(true).TrimEnd('.');
        _nameserver = Name("ns.dns");
    }

    public DomainName Domain => _zone;

    public DnsAnswer Answer(DnsQuestion question)
    {
        string[] labels = question.Name.Labels;
        int n = labels.Length - _zone.LabelCount;
        // rel(0) is the label next to the zone: "svc" or "pod" for the records of the Kubernetes DNS specification.
        string Rel(int i) => labels[n - 1 - i].ToLowerInvariant();
        return n switch
        {
            0 => Apex(question),
            1 => Rel(0) switch
            {
                "svc" or "pod" or "dns" => NoData(),
                "dns-version" => question.RecordType == RecordType.Txt ? Positive([new TxtRecord(question.Name, _ttl, DnsVersion)]) : NoData(),
                _ => NxDomain(),
            },
            2 => Rel(0) switch
            {
                "svc" => _state.AnyServiceIn(Rel(1)) ? NoData() : NxDomain(),
                "pod" => NoData(),
                "dns" when Rel(1) == "ns" => Addresses(question, KubeDnsAddresses()),
                _ => NxDomain(),
            },
            3 => Rel(0) switch
            {
                "svc" => ServiceRecords(question, Rel(1), Rel(2)),
                "pod" => PodRecords(question, Rel(2)),
                _ => NxDomain(),
            },
            4 when Rel(0) == "svc" => Rel(3).StartsWith('_')
                ? PortNames(question, Rel(1), Rel(2), port: null, protocol: Rel(3)[1..])
                : EndpointRecords(question, Rel(1), Rel(2), Rel(3)),
            5 when Rel(0) == "svc" && Rel(3).StartsWith('_') && Rel(4).StartsWith('_') =>
                PortNames(question, Rel(1), Rel(2), port: Rel(4)[1..], protocol: Rel(3)[1..]),
            _ => NxDomain(),
        };
    }

    /// <summary>
    /// PTR for a Service's ClusterIP (<c>svc.ns.svc.zone</c>) or a ready endpoint's address
    /// (<c>host.svc.ns.svc.zone</c>), as CoreDNS's kubernetes plugin serves <c>in-addr.arpa</c> and <c>ip6.arpa</c>; null
    /// when the address is not the cluster's (CoreDNS's <c>fallthrough in-addr.arpa ip6.arpa</c>: forward it).
    /// Reverse questions are rare, so this scans the caches instead of keeping an index.
    /// </summary>
    public DnsAnswer? Reverse(DnsQuestion question, IPAddress address)
    {
        var targets = new List<DomainName>();
        foreach (V1Service service in _state.ServiceInformer.Store.List())
        {
            if (service.Spec is not null && !IsHeadless(service) && service.Spec.Type != "ExternalName" && ClusterIps(service).Contains(address))
            {
                targets.Add(Name($"{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc"));
            }
        }

        foreach (V1EndpointSlice slice in _state.SliceInformer.Store.List())
        {
            if (slice.Metadata.Labels?.TryGetValue(EndpointSliceIndex.ServiceNameLabel, out string? service) != true)
            {
                continue;
            }

            foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
            {
                if (endpoint.Conditions?.Ready != false && (endpoint.Addresses ?? []).Any(a => IPAddress.TryParse(a, out IPAddress? ip) && ip.Equals(address)))
                {
                    string label = string.IsNullOrEmpty(endpoint.Hostname) ? Dashed(address) : endpoint.Hostname.ToLowerInvariant();
                    targets.Add(Name($"{label}.{service}.{slice.Metadata.NamespaceProperty}.svc"));
                }
            }
        }

        if (targets.Count == 0)
        {
            return null;
        }

        return question.RecordType == RecordType.Ptr
            ? Positive(targets.Distinct().Select(t => (DnsRecordBase)new PtrRecord(question.Name, _ttl, t)).ToList())
            : new DnsAnswer(ReturnCode.NoError, [], [], [], Authoritative: true);
    }

    /// <summary>The address a reverse name (<c>d.c.b.a.in-addr.arpa</c>, 32 nibbles of <c>ip6.arpa</c>) stands for.</summary>
    internal static IPAddress? ParseReverse(DomainName name)
    {
        string[] labels = name.Labels.Select(l => l.ToLowerInvariant()).ToArray();
        if (labels is [.. var v4, "in-addr", "arpa"] && v4.Length == 4 && v4.All(o => o.Length is > 0 and <= 3 && o.All(char.IsAsciiDigit) && int.Parse(o, CultureInfo.InvariantCulture) <= 255))
        {
            return IPAddress.Parse(string.Join('.', v4.Reverse()));
        }

        if (labels is [.. var v6, "ip6", "arpa"] && v6.Length == 32 && v6.All(n => n.Length == 1 && char.IsAsciiHexDigit(n[0])))
        {
            byte[] bytes = Convert.FromHexString(string.Concat(v6.Reverse()));
            return new IPAddress(bytes);
        }

        return null;
    }

    private DnsAnswer Apex(DnsQuestion question) => question.RecordType switch
    {
        RecordType.Soa => Positive([Soa()]),
        RecordType.Ns => new DnsAnswer(ReturnCode.NoError, [new NsRecord(_zone, _ttl, _nameserver)], [], AddressRecords(_nameserver, RecordType.Any, KubeDnsAddresses()), Authoritative: true),
        _ => NoData(),
    };

    private DnsAnswer ServiceRecords(DnsQuestion question, string ns, string name)
    {
        if (_state.Service(ns, name) is not { Spec: not null } service)
        {
            return NxDomain();
        }

        if (service.Spec.Type == "ExternalName")
        {
            // A CNAME owns its name: it answers every type (the resolver follows it for A/AAAA).
            return DomainName.TryParse(service.Spec.ExternalName ?? "", out DomainName? target)
                ? Positive([new CNameRecord(question.Name, _ttl, target!)])
                : NoData();
        }

        if (IsHeadless(service))
        {
            List<EndpointAddress> endpoints = ReadyEndpoints(ns, name);
            if (endpoints.Count == 0)
            {
                // CoreDNS: a headless Service without ready endpoints has no records at all.
                return NxDomain();
            }

            if (question.RecordType == RecordType.Srv)
            {
                return EndpointSrv(question, ns, name, endpoints, port: null, protocol: null);
            }

            return Addresses(question, endpoints.Select(e => e.Address).Distinct());
        }

        List<IPAddress> clusterIps = ClusterIps(service);
        if (question.RecordType == RecordType.Srv)
        {
            return ServiceSrv(question, service, clusterIps, port: null, protocol: null);
        }

        return Addresses(question, clusterIps);
    }

    /// <summary><c>_port._proto.svc.ns.svc.zone</c> (SRV) or <c>_proto.svc.ns.svc.zone</c> (an empty non-terminal).</summary>
    private DnsAnswer PortNames(DnsQuestion question, string ns, string name, string? port, string protocol)
    {
        if (_state.Service(ns, name) is not { Spec: not null } service || service.Spec.Type == "ExternalName")
        {
            return NxDomain();
        }

        if (IsHeadless(service))
        {
            List<EndpointAddress> endpoints = ReadyEndpoints(ns, name);
            DnsAnswer srv = EndpointSrv(question, ns, name, endpoints, port, protocol);
            return port is null || question.RecordType != RecordType.Srv ? (srv.Answers.Count > 0 ? NoData() : NxDomain()) : srv;
        }

        DnsAnswer answer = ServiceSrv(question, service, ClusterIps(service), port, protocol);
        return port is null || question.RecordType != RecordType.Srv ? (answer.Answers.Count > 0 ? NoData() : NxDomain()) : answer;
    }

    private DnsAnswer ServiceSrv(DnsQuestion question, V1Service service, List<IPAddress> clusterIps, string? port, string? protocol)
    {
        DomainName target = Name($"{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc");
        var ports = (service.Spec.Ports ?? []).Where(p => PortMatches(p.Name, p.Protocol, port, protocol)).ToList();
        if (ports.Count == 0)
        {
            return NxDomain();
        }

        ushort weight = Weight(ports.Count);
        var answers = ports.Select(p => (DnsRecordBase)new SrvRecord(question.Name, _ttl, 0, weight, (ushort)p.Port, target)).ToList();
        return new DnsAnswer(ReturnCode.NoError, answers, [], AddressRecords(target, RecordType.Any, clusterIps), Authoritative: true);
    }

    private DnsAnswer EndpointSrv(DnsQuestion question, string ns, string name, List<EndpointAddress> endpoints, string? port, string? protocol)
    {
        var answers = new List<DnsRecordBase>();
        var additional = new List<DnsRecordBase>();
        var seen = new HashSet<DomainName>();
        var matching = endpoints
            .SelectMany(e => e.Ports.Where(p => PortMatches(p.Name, p.Protocol, port, protocol) && p.Port is > 0).Select(p => (Endpoint: e, Port: (ushort)p.Port!.Value)))
            .ToList();
        ushort weight = Weight(matching.Count);
        foreach ((EndpointAddress endpoint, ushort number) in matching)
        {
            DomainName target = Name($"{endpoint.Label}.{name}.{ns}.svc");
            answers.Add(new SrvRecord(question.Name, _ttl, 0, weight, number, target));
            if (seen.Add(target))
            {
                additional.AddRange(AddressRecords(target, RecordType.Any, [endpoint.Address]));
            }
        }

        return answers.Count == 0 ? NxDomain() : new DnsAnswer(ReturnCode.NoError, answers, [], additional, Authoritative: true);
    }

    /// <summary><c>host.svc.ns.svc.zone</c>: an endpoint by its hostname, or by its dashed address.</summary>
    private DnsAnswer EndpointRecords(DnsQuestion question, string ns, string name, string label)
    {
        if (_state.Service(ns, name) is null)
        {
            return NxDomain();
        }

        var addresses = ReadyEndpoints(ns, name).Where(e => e.Label == label).Select(e => e.Address).Distinct().ToList();
        return addresses.Count == 0 ? NxDomain() : Addresses(question, addresses);
    }

    /// <summary><c>a-b-c-d.ns.pod.zone</c> answers the address in its name, as CoreDNS's <c>pods insecure</c> does.</summary>
    private DnsAnswer PodRecords(DnsQuestion question, string label) =>
        ParseDashed(label) is { } address ? Addresses(question, [address]) : NxDomain();

    private DnsAnswer Addresses(DnsQuestion question, IEnumerable<IPAddress> addresses)
    {
        List<DnsRecordBase> answers = AddressRecords(question.Name, question.RecordType, addresses);
        return answers.Count == 0 ? NoData() : new DnsAnswer(ReturnCode.NoError, answers, [], [], Authoritative: true);
    }

    private List<DnsRecordBase> AddressRecords(DomainName name, RecordType type, IEnumerable<IPAddress> addresses)
    {
        var records = new List<DnsRecordBase>();
        foreach (IPAddress address in addresses)
        {
            if (address.AddressFamily == AddressFamily.InterNetwork && type is RecordType.A or RecordType.Any)
            {
                records.Add(new ARecord(name, _ttl, address));
            }
            else if (address.AddressFamily == AddressFamily.InterNetworkV6 && type is RecordType.Aaaa or RecordType.Any)
            {
                records.Add(new AaaaRecord(name, _ttl, address));
            }
        }

        return records;
    }

    private List<EndpointAddress> ReadyEndpoints(string ns, string name)
    {
        var result = new List<EndpointAddress>();
        foreach (V1EndpointSlice slice in _state.Slices.Of($"{ns}/{name}"))
        {
            IList<Discoveryv1EndpointPort> ports = slice.Ports ?? [];
            foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
            {
                // The EndpointSlice API: an unset ready condition means ready.
                if (endpoint.Conditions?.Ready == false)
                {
                    continue;
                }

                foreach (string text in endpoint.Addresses ?? [])
                {
                    if (IPAddress.TryParse(text, out IPAddress? address))
                    {
                        string label = string.IsNullOrEmpty(endpoint.Hostname) ? Dashed(address) : endpoint.Hostname.ToLowerInvariant();
                        result.Add(new EndpointAddress(address, label, ports));
                    }
                }
            }
        }

        return result;
    }

    private List<IPAddress> KubeDnsAddresses() =>
        _state.Service("kube-system", "kube-dns") is { Spec: not null } dns && !IsHeadless(dns) ? ClusterIps(dns) : [];

    private static List<IPAddress> ClusterIps(V1Service service)
    {
        IEnumerable<string> ips = service.Spec.ClusterIPs is { Count: > 0 } all ? all : service.Spec.ClusterIP is { } one ? [one] : [];
        return ips.Select(ip => IPAddress.TryParse(ip, out IPAddress? a) ? a : null).OfType<IPAddress>().ToList();
    }

    private static bool IsHeadless(V1Service service) => service.Spec.ClusterIP == "None";

    private static bool PortMatches(string? name, string? protocol, string? wantedName, string? wantedProtocol) =>
        (wantedName is null || string.Equals(name, wantedName, StringComparison.OrdinalIgnoreCase))
        && (wantedProtocol is null || string.Equals(protocol ?? "TCP", wantedProtocol, StringComparison.OrdinalIgnoreCase));

    /// <summary>CoreDNS spreads a weight of 100 over the records of one priority.</summary>
    private static ushort Weight(int count) => (ushort)Math.Max(1, 100 / Math.Max(1, count));

    /// <summary><c>10-1-2-3</c> for 10.1.2.3, <c>fd00--1</c> for fd00::1.</summary>
    internal static string Dashed(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? address.ToString().Replace('.', '-') : address.ToString().Replace(':', '-');

    internal static IPAddress? ParseDashed(string label)
    {
        string[] parts = label.Split('-');
        if (parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255))
        {
            return IPAddress.Parse(string.Join('.', parts));
        }

        return label.Contains('-', StringComparison.Ordinal) && IPAddress.TryParse(label.Replace('-', ':'), out IPAddress? v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
            ? v6
            : null;
    }

    private DomainName Name(string relative) => DomainName.Parse($"{relative}.{_zoneSuffix}");

    private SoaRecord Soa() =>
        new(_zone, _ttl, _nameserver, Name("hostmaster"), (uint)(_state.Generation & uint.MaxValue), 7200, 1800, 86400, _ttl);

    private static DnsAnswer Positive(List<DnsRecordBase> answers) => new(ReturnCode.NoError, answers, [], [], Authoritative: true);

    private DnsAnswer NoData() => new(ReturnCode.NoError, [], [Soa()], [], Authoritative: true);

    private DnsAnswer NxDomain() => new(ReturnCode.NxDomain, [], [Soa()], [], Authoritative: true);

    private sealed record EndpointAddress(IPAddress Address, string Label, IList<Discoveryv1EndpointPort> Ports);
}
