using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// kube-aggregator's OpenAPI AggregationController (v2) and its v3 spec proxier: every APIService served by a Service
/// has its server's <c>/openapi/v2</c> downloaded (as <c>system:aggregator</c>, with the server's ETag) and merged into
/// the API server's own, and its <c>/openapi/v3</c> discovery downloaded, whose group/versions join <c>/openapi/v3</c>
/// (their documents are proxied on request). A download (<see cref="ApiServiceDownloader"/>) is refreshed a minute after
/// it succeeded and retried with a backoff from a minute to an hour after it failed — at once when the APIService
/// changes (its <c>Available</c> condition flipping does). A failing server keeps the last documents it gave; a deleted
/// APIService's go; the rest of OpenAPI is never held up.
/// </summary>
internal sealed partial class OpenApiAggregationController(
    StoreRegistry stores, ApiServiceDownloader downloader, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    // kube-aggregator's successfulUpdateDelay and failedUpdateMaxExpDelay.
    private static readonly TimeSpan SuccessfulUpdateDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FailedUpdateMaxDelay = TimeSpan.FromHours(1);
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Spec> _specs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _generation;
    private Merged? _mergedV2;

    /// <summary>Starts downloading in the background.</summary>
    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    /// <summary>
    /// <paramref name="local"/> (the server's own /openapi/v2) with the aggregated servers' paths, definitions and
    /// parameters added where the local document has none of that name (the local one wins a conflict). Rebuilt only
    /// when a document changed.
    /// </summary>
    public byte[] MergeV2(byte[] local)
    {
        int generation = Volatile.Read(ref _generation);
        Merged? merged = Volatile.Read(ref _mergedV2);
        if (merged is not null && ReferenceEquals(merged.Local, local) && merged.Generation == generation)
        {
            return merged.Json;
        }

        List<JsonObject> remote = _specs.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value.V2).OfType<JsonObject>().ToList();
        byte[] json = local;
        if (remote.Count > 0)
        {
            var document = (JsonObject)JsonNode.Parse(local)!;
            foreach (JsonObject spec in remote)
            {
                foreach (string section in (string[])["paths", "definitions", "parameters"])
                {
                    if (spec[section] is not JsonObject theirs)
                    {
                        continue;
                    }

                    if (document[section] is not JsonObject ours)
                    {
                        ours = [];
                        document[section] = ours;
                    }

                    foreach ((string name, JsonNode? value) in theirs)
                    {
                        if (!ours.ContainsKey(name))
                        {
                            ours[name] = value?.DeepClone();
                        }
                    }
                }
            }

            json = Encoding.UTF8.GetBytes(document.ToJsonString());
        }

        Volatile.Write(ref _mergedV2, new Merged(local, generation, json));
        return json;
    }

    /// <summary><paramref name="local"/> (the /openapi/v3 discovery) with every group/version the aggregated servers list in theirs.</summary>
    public byte[] MergeV3Index(byte[] local)
    {
        List<JsonObject> remote = _specs.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value.V3Paths).OfType<JsonObject>().ToList();
        if (remote.Count == 0)
        {
            return local;
        }

        var index = (JsonObject)JsonNode.Parse(local)!;
        var paths = (JsonObject)index["paths"]!;
        foreach (JsonObject theirs in remote)
        {
            foreach ((string path, JsonNode? entry) in theirs)
            {
                if (!paths.ContainsKey(path))
                {
                    paths[path] = entry?.DeepClone();
                }
            }
        }

        return Encoding.UTF8.GetBytes(index.ToJsonString());
    }

    /// <summary>Downloads what is due, and forgets the APIServices that are gone.</summary>
    public async Task SyncAllAsync(CancellationToken cancellationToken)
    {
        List<V1APIService> remote = await ApiAggregator.RemoteAsync(stores, cancellationToken);
        var names = remote.Select(a => a.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string gone in _specs.Keys.Where(k => !names.Contains(k)))
        {
            if (_specs.TryRemove(gone, out _))
            {
                Interlocked.Increment(ref _generation);
            }
        }

        DateTimeOffset now = time.GetUtcNow();
        await Parallel.ForEachAsync(remote, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (apiService, token) =>
        {
            string name = apiService.Metadata.Name, version = apiService.Metadata.ResourceVersion;
            _specs.TryGetValue(name, out Spec? known);
            // As kube-aggregator requeues a failing APIService at once when it is updated.
            bool due = known is null || now >= known.NextAttempt || (known.Backoff > TimeSpan.Zero && known.ResourceVersion != version);
            if (!due)
            {
                return;
            }

            Spec next = await DownloadAsync(apiService, known, token) with { ResourceVersion = version };
            _specs[name] = next;
            if (known is null || !ReferenceEquals(known.V2, next.V2) || !ReferenceEquals(known.V3Paths, next.V3Paths))
            {
                Interlocked.Increment(ref _generation);
            }
        });
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

    /// <summary>Both documents of one APIService; a failure keeps what was known and backs off.</summary>
    private async Task<Spec> DownloadAsync(V1APIService apiService, Spec? known, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        try
        {
            ApiServiceDownloader.Download v2 = await GetAsync(apiService, "/openapi/v2", known?.V2Etag, cancellationToken);
            JsonObject? v2Spec = v2.Status switch
            {
                HttpStatusCode.NotModified => known?.V2,
                HttpStatusCode.OK => JsonNode.Parse(v2.Body) as JsonObject ?? throw new InvalidDataException("/openapi/v2 is not a JSON object"),
                // kube-aggregator retries a server without a spec as a failure.
                _ => throw new InvalidDataException($"failed to retrieve openAPI spec, http error: ResponseCode: {(int)v2.Status}"),
            };

            // A server without /openapi/v3 (404) adds no v3 group/versions (kube-aggregator would convert its v2).
            ApiServiceDownloader.Download v3 = await GetAsync(apiService, "/openapi/v3", null, cancellationToken);
            JsonObject? v3Paths = v3.Status == HttpStatusCode.OK ? (JsonNode.Parse(v3.Body) as JsonObject)?["paths"] as JsonObject : null;

            // Unchanged documents stay the same objects, so the merged document is not rebuilt for nothing.
            return new Spec(
                known is not null && JsonNode.DeepEquals(known.V2, v2Spec) ? known.V2 : v2Spec,
                v2.Status == HttpStatusCode.OK ? v2.Etag : known?.V2Etag,
                known is not null && JsonNode.DeepEquals(known.V3Paths, v3Paths) ? known.V3Paths : v3Paths,
                "",
                now + SuccessfulUpdateDelay,
                TimeSpan.Zero);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException or System.Text.Json.JsonException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            TimeSpan backoff = known is { Backoff: var last } && last > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(last.Ticks * 2, FailedUpdateMaxDelay.Ticks)) : SuccessfulUpdateDelay;
            LogDownloadFailed(logger, apiService.Metadata.Name, e.Message);
            return new Spec(known?.V2, known?.V2Etag, known?.V3Paths, "", now + backoff, backoff);
        }
    }

    // kube-aggregator downloads as system:aggregator.
    private Task<ApiServiceDownloader.Download> GetAsync(V1APIService apiService, string path, string? etag, CancellationToken cancellationToken) =>
        downloader.GetAsync(apiService, path, "application/json", etag, "system:aggregator", cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenAPI aggregation failed")]
    private static partial void LogSyncFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "loading OpenAPI spec for {Name} failed with: {Reason}")]
    private static partial void LogDownloadFailed(ILogger logger, string name, string reason);

    /// <summary>What is known of one APIService's documents, and when to look again.</summary>
    private sealed record Spec(JsonObject? V2, string? V2Etag, JsonObject? V3Paths, string ResourceVersion, DateTimeOffset NextAttempt, TimeSpan Backoff);

    private sealed record Merged(byte[] Local, int Generation, byte[] Json);
}
