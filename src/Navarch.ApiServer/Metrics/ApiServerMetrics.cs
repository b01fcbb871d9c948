using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Http;
using Navarch.Storage;
using Prometheus;

namespace Navarch.ApiServer.Metrics;

/// <summary>
/// kube-apiserver's own metrics (k8s.io/apiserver's endpoints/metrics and storage/etcd3/metrics) with their names, labels
/// and buckets, in a registry of this server's own (tests run several servers in one process), served at
/// <c>/metrics</c> in the Prometheus text format.
/// </summary>
internal sealed class ApiServerMetrics
{
    /// <summary>kube-apiserver's request latency buckets (apiserver_request_duration_seconds, etcd_request_duration_seconds).</summary>
    internal static readonly double[] RequestBuckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

    private static readonly string[] RequestLabels = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"];

    private readonly CollectorRegistry _registry;

    private readonly Counter _requests;

    private readonly Histogram _durations;

    private readonly Gauge _longRunning;

    private readonly Gauge _inFlight;

    private readonly Counter _watchEvents;

    private readonly Gauge _storageObjects;

    private readonly Histogram _etcdDurations;

    private int _readOnlyInFlight;

    private int _mutatingInFlight;

    public ApiServerMetrics(ResourceCatalog catalog, Func<IStore> store)
    {
        _registry = Prometheus.Metrics.NewCustomRegistry();
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("apiserver_request_total", "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.", [.. RequestLabels, "code"]);
        _durations = factory.CreateHistogram("apiserver_request_duration_seconds", "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.", RequestLabels, new HistogramConfiguration { Buckets = RequestBuckets });
        _longRunning = factory.CreateGauge("apiserver_longrunning_requests", "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.", ["verb", "group", "version", "resource", "subresource", "scope", "component"]);
        _inFlight = factory.CreateGauge("apiserver_current_inflight_requests", "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.", ["request_kind"]);
        _watchEvents = factory.CreateCounter("apiserver_watch_events_total", "Number of events sent in watch clients", ["group", "version", "resource"]);
        _storageObjects = factory.CreateGauge("apiserver_storage_objects", "Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.", ["resource"]);
        _etcdDurations = factory.CreateHistogram("etcd_request_duration_seconds", "Etcd request latency in seconds for each operation and object type.", ["operation", "type"], new HistogramConfiguration { Buckets = RequestBuckets });
        Resources = new StorageResources(catalog);
        _registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            _inFlight.WithLabels("readOnly").Set(Volatile.Read(ref _readOnlyInFlight));
            _inFlight.WithLabels("mutating").Set(Volatile.Read(ref _mutatingInFlight));
            await CountObjectsAsync(catalog, store(), cancellationToken);
        });
    }

    /// <summary>The group/resource a storage key belongs to, for the etcd metrics' <c>type</c> label.</summary>
    internal StorageResources Resources { get; }

    /// <summary>Writes every metric in the Prometheus text exposition format (version 0.0.4).</summary>
    public async Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await _registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }

    /// <summary>Counts a request as in flight until the returned scope ends (readOnly or mutating, as kube-apiserver's max-in-flight filter).</summary>
    public InFlight Begin(RequestInfo info)
    {
        bool readOnly = info.Verb is "get" or "list" or "watch";
        Interlocked.Increment(ref readOnly ? ref _readOnlyInFlight : ref _mutatingInFlight);
        return new InFlight(this, readOnly);
    }

    /// <summary>Records a finished request: apiserver_request_total with its code and apiserver_request_duration_seconds.</summary>
    public void Record(HttpContext context, RequestInfo info, string component, TimeSpan elapsed)
    {
        (string verb, string group, string version, string resource, string subresource, string scope) = Labels(context, info);
        string dryRun = info.Options.DryRun ? "All" : "";
        _requests.WithLabels(verb, dryRun, group, version, resource, subresource, scope, component, StatusCodes(context.Response.StatusCode)).Inc();
        _durations.WithLabels(verb, dryRun, group, version, resource, subresource, scope, component).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Counts an open long-running request (a watch, logs, exec, ...) until the returned gauge is decremented.</summary>
    public Gauge.Child LongRunning(HttpContext context, RequestInfo info, string component)
    {
        (string verb, string group, string version, string resource, string subresource, string scope) = Labels(context, info);
        Gauge.Child gauge = _longRunning.WithLabels(verb, group, version, resource, subresource, scope, component);
        gauge.Inc();
        return gauge;
    }

    /// <summary>The counter of events sent to watchers of one resource.</summary>
    public Counter.Child WatchEvents(ResourceDefinition definition) => _watchEvents.WithLabels(definition.Group, definition.Version, definition.Plural);

    /// <summary>Records one store request's latency under its operation and the key's group/resource.</summary>
    public void RecordStorage(string operation, string key, long startTimestamp) =>
        _etcdDurations.WithLabels(operation, Resources.Of(key)).Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);

    private async Task CountObjectsAsync(ResourceCatalog catalog, IStore store, CancellationToken cancellationToken)
    {
        // As kube-apiserver's storage object counter: one count per stored resource; -1 when the store cannot answer.
        foreach (ResourceDefinition definition in catalog.All.DistinctBy(d => d.StoragePrefix))
        {
            long count;
            try
            {
                count = await store.CountAsync(definition.StoragePrefix + "/", cancellationToken);
            }
            catch (StorageException)
            {
                count = -1;
            }

            _storageObjects.WithLabels(definition.GroupResource).Set(count);
        }
    }

    /// <summary>
    /// The labels kube-apiserver reports a request under: the upper-case verb (POST for create, PUT for update, APPLY
    /// for a server-side apply, CONNECT for the connect subresources, WATCH for a watch), and for a non-resource URL the
    /// HTTP method with the path in <c>subresource</c>. A path nobody serves is reported as empty, so a client cannot
    /// grow the series without bound.
    /// </summary>
    private static (string Verb, string Group, string Version, string Resource, string Subresource, string Scope) Labels(HttpContext context, RequestInfo info)
    {
        if (!info.IsResourceRequest)
        {
            string path = context.Response.StatusCode == Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound ? "" : info.Path;
            return (context.Request.Method.ToUpperInvariant(), "", "", "", path, "");
        }

        string verb = info.Verb switch
        {
            "create" => "POST",
            "update" => "PUT",
            "patch" when context.Request.ContentType?.StartsWith("application/apply-patch", StringComparison.OrdinalIgnoreCase) == true => "APPLY",
            _ when info.Subresource is "exec" or "attach" or "portforward" or "proxy" => "CONNECT",
            _ when info.Options.Watch => "WATCH",
            _ => info.Verb.ToUpperInvariant(),
        };
        string scope = info.Namespace is not null ? "namespace" : info.Name is not null ? "resource" : "cluster";
        return (verb, info.Group, info.Version, info.Resource, info.Subresource ?? "", scope);
    }

    private static string StatusCodes(int code) => code switch
    {
        200 => "200",
        201 => "201",
        404 => "404",
        409 => "409",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A request counted in <c>apiserver_current_inflight_requests</c> until disposed.</summary>
    internal readonly struct InFlight(ApiServerMetrics metrics, bool readOnly) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref readOnly ? ref metrics._readOnlyInFlight : ref metrics._mutatingInFlight);
    }
}
