using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Proxy.Tests.Dataplane;

/// <summary>
/// A real API server, a lab node namespace with three pods serving TCP 8080 and UDP 5353 (each answers its own name),
/// and the proxy (with its own chain prefix, inside the node namespace) watching the API server.
/// </summary>
public sealed class DataplaneFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, string> PodIps = new() { ["pod-a"] = "10.42.0.11", ["pod-b"] = "10.42.0.12", ["pod-c"] = "10.42.0.13" };
    private readonly CancellationTokenSource _stop = new();
    private Task _proxy = Task.CompletedTask;

    internal ApiServerHost Api { get; private set; } = null!;

    internal NetnsLab Lab { get; private set; } = null!;

    internal ProxyOptions Options { get; private set; } = null!;

    internal CollectingLoggerFactory Logs { get; } = new();

    public Kubernetes Client => Api.Client;

    public async Task InitializeAsync()
    {
        Api = await ApiServerHost.StartAsync();
        Lab = await NetnsLab.CreateAsync();
        foreach ((string name, string ip) in PodIps)
        {
            string ns = await Lab.AddPodAsync(name, ip);
            Lab.ServeTcp(ns, 8080, name);
            Lab.ServeUdp(ns, 5353, name);
        }

        Options = new ProxyOptions
        {
            NodeName = "node-a",
            ChainPrefix = $"NX{Lab.Id}-",
            NetworkNamespace = Lab.Node,
            MinSyncInterval = TimeSpan.FromMilliseconds(300),
            MetricsBindAddress = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, FreePort.Next()),
        };
        var server = new ProxyServer(Api.Client, Options, Logs);
        _proxy = Task.Run(() => server.RunAsync(_stop.Token));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _proxy;
        await ProxyServer.CleanupAsync(Options);
        await Lab.DisposeAsync();
        await Api.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>Creates a Service in <c>default</c> and returns it as stored (with its ClusterIP and node ports).</summary>
    public Task<V1Service> CreateServiceAsync(string name, Action<V1ServiceSpec> shape, params V1ServicePort[] ports)
    {
        var spec = new V1ServiceSpec { Ports = ports, Selector = new Dictionary<string, string> { ["app"] = name } };
        shape(spec);
        return Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = name }, Spec = spec }, "default");
    }

    /// <summary>Writes the Service's one EndpointSlice (as the EndpointSlice controller would) with ready endpoints on node-a.</summary>
    public async Task SetEndpointsAsync(string service, string? portName, int port, string protocol, params string[] pods)
    {
        var slice = new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = $"{service}-slice", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
            AddressType = "IPv4",
            Endpoints = pods.Select(p => new V1Endpoint { Addresses = [PodIps[p]], NodeName = "node-a", Conditions = new V1EndpointConditions { Ready = true, Serving = true, Terminating = false } }).ToList(),
            Ports = [new Discoveryv1EndpointPort { Name = portName, Port = port, Protocol = protocol }],
        };
        try
        {
            V1EndpointSlice current = await Client.DiscoveryV1.ReadNamespacedEndpointSliceAsync(slice.Metadata.Name, "default");
            slice.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
            await Client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, "default");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            await Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, "default");
        }
    }

    /// <summary>The node namespace's rules as iptables-save prints them.</summary>
    public async Task<string> SaveAsync() => (await Lab.ExecAsync(Lab.Node, "iptables-save")).Stdout;

    /// <summary>Retries <paramref name="check"/> until it passes or the time is up (the proxy applies changes within about a second).</summary>
    public Task EventuallyAsync(Func<Task> check, int seconds = 20) =>
        EventuallyPasses(check, "the proxy applies the change", TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(200),
            async () => $"--- proxy log ---\n{Logs}\n--- rules ---\n{await SaveAsync()}");
}
