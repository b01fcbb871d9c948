using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Navarch.Testing;

/// <summary>
/// A custom and external metrics adapter for tests (what prometheus-adapter or KEDA is in a cluster): ASP.NET Core over
/// HTTPS with a CA of its own, serving <c>custom.metrics.k8s.io/v1beta2</c> MetricValueLists (pods' series and single
/// objects' values) and <c>external.metrics.k8s.io/v1beta1</c> ExternalMetricValueLists from values the test sets.
/// <see cref="RegisterAsync"/> publishes it as the API server's aggregator finds an extension server: a Service with
/// manual Endpoints and an APIService per group. Each request's path and query is kept.
/// </summary>
public sealed class MetricsAdapterServer : IAsyncDisposable
{
    private const string Custom = "custom.metrics.k8s.io";
    private const string CustomVersion = "v1beta2";
    private const string External = "external.metrics.k8s.io";
    private const string ExternalVersion = "v1beta1";

    private readonly ConcurrentDictionary<(string Namespace, string Resource, string Name, string Metric), string> _objects = new();
    private readonly ConcurrentDictionary<(string Namespace, string Metric), IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, string Value)>> _external = new();
    private WebApplication? _app;

    private MetricsAdapterServer(byte[] caBundle) => CaBundle = caBundle;

    /// <summary>
    /// The address it listens on: this machine's first IPv4 address that is not loopback or link-local (an Endpoints
    /// address may be neither, as in Kubernetes).
    /// </summary>
    public static IPAddress Address { get; } = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && !a.ToString().StartsWith("169.254.", StringComparison.Ordinal));

    /// <summary>The PEM of the CA its certificate chains to (the APIServices' caBundle).</summary>
    public byte[] CaBundle { get; }

    public int Port { get; private set; }

    /// <summary>The path and query of every request served, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Starts serving as <c>&lt;service&gt;.&lt;namespace&gt;.svc</c>, the name the aggregator checks.</summary>
    public static async Task<MetricsAdapterServer> StartAsync(string service = "metrics-adapter", string ns = "default")
    {
        (X509Certificate2 serving, byte[] caBundle) = TestServingCertificate.Create([Address], [$"{service}.{ns}.svc"]);
        var server = new MetricsAdapterServer(caBundle);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(Address, 0, listen => listen.UseHttps(serving)));
        server._app = builder.Build();
        server._app.Run(server.ServeAsync);
        await server._app.StartAsync();
        server.Port = new Uri(server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return server;
    }

    /// <summary>The Service (port 443 to the adapter), its Endpoints, and the two APIServices (v1beta2.custom…, v1beta1.external…).</summary>
    public async Task RegisterAsync(Kubernetes client, string service = "metrics-adapter", string ns = "default")
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = service }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 443, TargetPort = Port }] } }, ns);
        await client.CoreV1.CreateNamespacedEndpointsAsync(
            new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = service },
                Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = Address.ToString() }], Ports = [new Corev1EndpointPort { Port = Port }] }],
            },
            ns);
        foreach ((string group, string version) in new[] { (Custom, CustomVersion), (External, ExternalVersion) })
        {
            await client.ApiregistrationV1.CreateAPIServiceAsync(new V1APIService
            {
                Metadata = new V1ObjectMeta { Name = $"{version}.{group}" },
                Spec = new V1APIServiceSpec
                {
                    Group = group,
                    Version = version,
                    Service = new Apiregistrationv1ServiceReference { NamespaceProperty = ns, Name = service, Port = 443 },
                    CaBundle = CaBundle,
                    GroupPriorityMinimum = 100,
                    VersionPriority = 100,
                },
            });
        }
    }

    /// <summary>Sets <paramref name="metric"/> of a pod (a Pods metric's series) to <paramref name="value"/> (a quantity).</summary>
    public void SetPodMetric(string ns, string pod, string metric, string value) => _objects[(ns, "pods", pod, metric)] = value;

    /// <summary>Sets <paramref name="metric"/> of one object (an Object metric), its resource group-qualified as the path names it (<c>deployments.apps</c>).</summary>
    public void SetObjectMetric(string ns, string resource, string name, string metric, string value) => _objects[(ns, resource, name, metric)] = value;

    /// <summary>Sets the series of an external metric: each with its labels (the metric selector filters them) and value.</summary>
    public void SetExternalMetric(string ns, string metric, params (IReadOnlyDictionary<string, string> Labels, string Value)[] series) => _external[(ns, metric)] = series;

    private async Task ServeAsync(HttpContext context)
    {
        string path = context.Request.Path.Value!.TrimEnd('/');
        Requests.Enqueue(path + context.Request.QueryString.Value);
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string timestamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        JsonNode? body = parts switch
        {
            ["apis", Custom, CustomVersion] => ResourceList($"{Custom}/{CustomVersion}", "pods/*", "deployments.apps/*", "services/*"),
            ["apis", External, ExternalVersion] => ResourceList($"{External}/{ExternalVersion}", "*"),
            ["apis", Custom, CustomVersion, "namespaces", var ns, "pods", "*", var metric] => PodList(ns, metric, timestamp),
            ["apis", Custom, CustomVersion, "namespaces", var ns, var resource, var name, var metric] =>
                _objects.TryGetValue((ns, resource, name, metric), out string? value) ? ValueList([ObjectValue(ns, resource, name, metric, value, timestamp)]) : null,
            ["apis", External, ExternalVersion, "namespaces", var ns, var metric] => ExternalList(ns, metric, context.Request.Query["labelSelector"].ToString(), timestamp),
            _ => null,
        };
        context.Response.ContentType = "application/json";
        if (body is null)
        {
            context.Response.StatusCode = 404;
            body = new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = "NotFound", ["code"] = 404, ["message"] = $"the server could not find the metric for {path}" };
        }

        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private JsonObject? PodList(string ns, string metric, string timestamp)
    {
        var items = _objects.Where(o => o.Key.Namespace == ns && o.Key.Resource == "pods" && o.Key.Metric == metric)
            .OrderBy(o => o.Key.Name, StringComparer.Ordinal)
            .Select(o => ObjectValue(ns, "pods", o.Key.Name, metric, o.Value, timestamp))
            .ToList();
        return items.Count == 0 ? null : ValueList(items);
    }

    private JsonObject? ExternalList(string ns, string metric, string selector, string timestamp)
    {
        if (!_external.TryGetValue((ns, metric), out var series))
        {
            return null;
        }

        // Equality selectors only (k=v,...): what the tests send.
        var wanted = selector.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split('=', 2)).ToList();
        var items = new JsonArray();
        foreach ((IReadOnlyDictionary<string, string> labels, string value) in series.Where(s => wanted.All(w => s.Labels.TryGetValue(w[0], out string? v) && v == w[1])))
        {
            var metricLabels = new JsonObject();
            foreach ((string key, string label) in labels)
            {
                metricLabels[key] = label;
            }

            items.Add(new JsonObject { ["metricName"] = metric, ["metricLabels"] = metricLabels, ["timestamp"] = timestamp, ["value"] = value });
        }

        return new JsonObject { ["kind"] = "ExternalMetricValueList", ["apiVersion"] = $"{External}/{ExternalVersion}", ["metadata"] = new JsonObject(), ["items"] = items };
    }

    private static JsonObject ObjectValue(string ns, string resource, string name, string metric, string value, string timestamp) => new()
    {
        ["describedObject"] = new JsonObject { ["kind"] = resource == "pods" ? "Pod" : resource, ["namespace"] = ns, ["name"] = name, ["apiVersion"] = "/v1" },
        ["metric"] = new JsonObject { ["name"] = metric },
        ["timestamp"] = timestamp,
        ["windowSeconds"] = 60,
        ["value"] = value,
    };

    private static JsonObject ValueList(IEnumerable<JsonObject> items) =>
        new() { ["kind"] = "MetricValueList", ["apiVersion"] = $"{Custom}/{CustomVersion}", ["metadata"] = new JsonObject(), ["items"] = new JsonArray(items.ToArray<JsonNode?>()) };

    private static JsonObject ResourceList(string groupVersion, params string[] resources) => new()
    {
        ["kind"] = "APIResourceList",
        ["apiVersion"] = "v1",
        ["groupVersion"] = groupVersion,
        ["resources"] = new JsonArray(resources.Select(r => (JsonNode?)new JsonObject { ["name"] = r, ["namespaced"] = true, ["kind"] = "MetricValueList", ["verbs"] = new JsonArray("get") }).ToArray()),
    };

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
