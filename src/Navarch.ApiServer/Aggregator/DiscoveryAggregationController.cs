using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// kube-aggregator's discovery manager: the resources of every APIService served by a Service, for aggregated
/// discovery. Its server's <c>/apis</c> is asked for the aggregated document (as <c>system:kube-aggregator</c>, with
/// the last ETag); a server that does not answer one is asked for the legacy <c>/apis/&lt;group&gt;/&lt;version&gt;</c>,
/// converted. Refreshed a minute after a success, at once when the APIService changes; a failure keeps the version
/// listed, with the last resources known, as <c>freshness: Stale</c>, and is retried with a backoff up to a minute.
/// </summary>
internal sealed partial class DiscoveryAggregationController(StoreRegistry stores, ApiServiceDownloader downloader, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private const string Accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    private static readonly TimeSpan RefreshDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private volatile Snapshot _snapshot = new(0, []);
    private int _generation;

    /// <summary>The aggregated group/versions as last fetched, and a number that changes whenever they do.</summary>
    public (int Generation, IReadOnlyList<DiscoveryVersion> Versions) Current
    {
        get
        {
            Snapshot snapshot = _snapshot;
            return (snapshot.Generation, snapshot.Versions);
        }
    }

    /// <summary>Starts fetching in the background.</summary>
    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    /// <summary>Fetches what is due and forgets the APIServices that are gone.</summary>
    public async Task SyncAllAsync(CancellationToken cancellationToken)
    {
        List<V1APIService> remote = await ApiAggregator.RemoteAsync(stores, cancellationToken);
        var names = remote.Select(a => a.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        bool changed = false;
        foreach (string gone in _entries.Keys.Where(k => !names.Contains(k)))
        {
            changed |= _entries.TryRemove(gone, out _);
        }

        DateTimeOffset now = time.GetUtcNow();
        int fetched = 0;
        await Parallel.ForEachAsync(remote, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (apiService, token) =>
        {
            string name = apiService.Metadata.Name;
            _entries.TryGetValue(name, out Entry? known);
            if (known is not null && known.ResourceVersion == apiService.Metadata.ResourceVersion && now < known.NextAttempt)
            {
                return;
            }

            Entry next = await FetchAsync(apiService, known, now, token);
            _entries[name] = next;
            if (known is null || known.Version != next.Version)
            {
                Interlocked.Increment(ref fetched);
            }
        });

        if (changed || fetched > 0)
        {
            int generation = Interlocked.Increment(ref _generation);
            _snapshot = new Snapshot(generation, _entries.Values.Select(e => e.Version).ToList());
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SyncAllAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogSyncFailed(logger, e);
            }

            await Task.Delay(Tick, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task<Entry> FetchAsync(V1APIService apiService, Entry? known, DateTimeOffset now, CancellationToken cancellationToken)
    {
        V1APIServiceSpec spec = apiService.Spec;
        try
        {
            (JsonArray? resources, string? etag) = await ResourcesAsync(apiService, known, cancellationToken);
            var version = new DiscoveryVersion(spec.Group, spec.Version, spec.GroupPriorityMinimum, spec.VersionPriority, resources, Stale: false);
            return new Entry(Same(known?.Version, version) ? known!.Version : version, etag, apiService.Metadata.ResourceVersion, now + RefreshDelay, TimeSpan.Zero);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException or JsonException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogFetchFailed(logger, apiService.Metadata.Name, e.Message);
            TimeSpan backoff = known is { Backoff: var last } && last > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(last.Ticks * 2, RefreshDelay.Ticks)) : FirstRetry;
            var stale = new DiscoveryVersion(spec.Group, spec.Version, spec.GroupPriorityMinimum, spec.VersionPriority, known?.Version.Resources, Stale: true);
            return new Entry(Same(known?.Version, stale) ? known!.Version : stale, known?.Etag, apiService.Metadata.ResourceVersion, now + backoff, backoff);
        }
    }

    /// <summary>The resources the server lists for the APIService's group/version, and the ETag of its aggregated document.</summary>
    private async Task<(JsonArray? Resources, string? Etag)> ResourcesAsync(V1APIService apiService, Entry? known, CancellationToken cancellationToken)
    {
        string group = apiService.Spec.Group, version = apiService.Spec.Version;
        ApiServiceDownloader.Download aggregated = await downloader.GetAsync(apiService, "/apis", Accept, known?.Etag, "system:kube-aggregator", cancellationToken);
        if (aggregated.Status == HttpStatusCode.NotModified && known is not null)
        {
            return (known.Version.Resources, known.Etag);
        }

        if (aggregated.Status == HttpStatusCode.OK && DiscoveryNegotiation.IsAggregated(aggregated.ContentType))
        {
            JsonNode? entry = (JsonNode.Parse(aggregated.Body)?["items"] as JsonArray)?
                .FirstOrDefault(g => (string?)g?["metadata"]?["name"] == group)?["versions"]?.AsArray()
                .FirstOrDefault(v => (string?)v?["version"] == version);
            return (entry?["resources"] as JsonArray is { } resources ? (JsonArray)resources.DeepClone() : null, aggregated.Etag);
        }

        ApiServiceDownloader.Download legacy = await downloader.GetAsync(apiService, $"/apis/{group}/{version}", "application/json", null, "system:kube-aggregator", cancellationToken);
        if (legacy.Status != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"failed to download discovery for /apis/{group}/{version}: {(int)legacy.Status}");
        }

        var list = JsonSerializer.Deserialize<V1APIResourceList>(legacy.Body, KubernetesSerialization.Options) ?? throw new InvalidDataException("empty APIResourceList");
        return (AggregatedResources.Convert(list.Resources ?? []), null);
    }

    private static bool Same(DiscoveryVersion? a, DiscoveryVersion b) =>
        a is not null && a with { Resources = null } == b with { Resources = null } && JsonNode.DeepEquals(a.Resources, b.Resources);

    [LoggerMessage(Level = LogLevel.Warning, Message = "discovery aggregation failed")]
    private static partial void LogSyncFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "DiscoveryManager: failed to download discovery for {Name}: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string name, string reason);

    private sealed record Entry(DiscoveryVersion Version, string? Etag, string ResourceVersion, DateTimeOffset NextAttempt, TimeSpan Backoff);

    private sealed record Snapshot(int Generation, IReadOnlyList<DiscoveryVersion> Versions);
}
