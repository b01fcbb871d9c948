using System.Net;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Dns.Tests;

/// <summary>
/// A real API server, a fake upstream resolver and the cluster DNS server between them on loopback ports, with a DNS
/// client (ARSoft's) to ask it questions over UDP or TCP.
/// </summary>
public sealed class DnsCluster : IAsyncLifetime
{
    public ApiServerHost Api { get; private set; } = null!;

    public FakeUpstream Upstream { get; private set; } = null!;

    public ClusterDnsServer Dns { get; private set; } = null!;

    public Kubernetes Client => Api.Client;

    public async Task InitializeAsync()
    {
        Api = await ApiServerHost.StartAsync();
        Upstream = FakeUpstream.Start();
        Dns = await StartDnsAsync([Upstream.Endpoint]);
    }

    /// <summary>Starts a cluster DNS server on a free loopback port (disposed by the caller), its options shaped by <paramref name="shape"/>.</summary>
    public Task<ClusterDnsServer> StartDnsAsync(IReadOnlyList<IPEndPoint> upstreams, Func<ClusterDnsOptions, ClusterDnsOptions>? shape = null) => DnsPorts.BindAsync(async port =>
    {
        var options = new ClusterDnsOptions { Listen = new IPEndPoint(IPAddress.Loopback, port), Upstreams = upstreams, UpstreamTimeout = TimeSpan.FromSeconds(1) };
        var server = new ClusterDnsServer(Client, shape is null ? options : shape(options));
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    });

    public static Task<DnsMessage> QueryAsync(ClusterDnsServer server, string name, RecordType type, bool tcp = false) =>
        RawDnsClient.QueryAsync(server.Listen, name, type, tcp);

    public Task<DnsMessage> QueryAsync(string name, RecordType type, bool tcp = false) => QueryAsync(Dns, name, type, tcp);

    public async Task<V1Service> CreateServiceAsync(string @namespace, string name, bool headless, params V1ServicePort[] ports)
    {
        V1Service service = await Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec { ClusterIP = headless ? "None" : null, Ports = ports },
        }, @namespace);
        await WaitForInformerAsync(service);
        return service;
    }

    /// <summary>An EndpointSlice of <paramref name="service"/> with the ports of the Service, as the controller writes it.</summary>
    public async Task<V1EndpointSlice> CreateSliceAsync(string @namespace, string service, string name, params (string Ip, string? Hostname, bool Ready)[] endpoints)
    {
        V1Service svc = await Client.CoreV1.ReadNamespacedServiceAsync(service, @namespace);
        V1EndpointSlice slice = await Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
            AddressType = "IPv4",
            Endpoints = endpoints.Select(e => new V1Endpoint { Addresses = [e.Ip], Hostname = e.Hostname, Conditions = new V1EndpointConditions { Ready = e.Ready } }).ToList(),
            Ports = svc.Spec.Ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = p.Protocol }).ToList(),
        }, @namespace);
        await WaitForInformerAsync(slice);
        return slice;
    }

    /// <summary>Waits until the DNS server's informers hold <paramref name="obj"/> at its resourceVersion (or without it, when <paramref name="deleted"/>).</summary>
    public async Task WaitForInformerAsync<T>(T obj, bool deleted = false)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        string key = $"{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}";

        // A slice is answered from the index its informer's handler keeps, which follows the informer's store.
        string? service = obj.Metadata.Labels is { } labels && labels.TryGetValue("kubernetes.io/service-name", out string? name) ? name : null;
        Func<IKubernetesObject<V1ObjectMeta>?> read = obj is V1Service
            ? () => Dns.State.ServiceInformer.Store.Get(key)
            : () => Dns.State.Slices.Of($"{obj.Metadata.NamespaceProperty}/{service}").FirstOrDefault(s => s.Metadata.Name == obj.Metadata.Name);
        await Eventually(
            () => deleted ? read() is null : read()?.Metadata.ResourceVersion == obj.Metadata.ResourceVersion,
            deleted ? $"the informer drops {key}" : $"the informer holds {key} at {obj.Metadata.ResourceVersion}",
            interval: TimeSpan.FromMilliseconds(20));
    }

    public async Task DisposeAsync()
    {
        await Dns.DisposeAsync();
        Upstream.Dispose();
        await Api.DisposeAsync();
    }
}
