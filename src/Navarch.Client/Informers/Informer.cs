using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Navarch.Client.Informers;

/// <summary>
/// A client-go style informer for one resource type: LIST (in pages), then WATCH from the list's resourceVersion
/// with bookmarks; after a dropped watch it resumes from the last revision it saw; on 410 Gone it re-lists and tells
/// its handlers the difference (tombstones for objects deleted meanwhile). Handlers run in order, after the cache
/// changed. Built on the official client's HTTP pipeline (its credentials and certificates).
/// </summary>
/// <typeparam name="T">The model type, e.g. <c>V1Pod</c>.</typeparam>
public sealed partial class Informer<T> : IInformer
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Kubernetes _client;
    private readonly RawApi _api;
    private readonly string _path;
    private readonly string? _labelSelector;
    private readonly string? _fieldSelector;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<IResourceEventHandler<T>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _deliverLock = new();
    private string _resourceVersion = "";

    /// <summary>
    /// Creates an informer over one namespace (or all, when null) and optional label and field selectors (a kubelet
    /// watches only its own pods with <c>spec.nodeName=NODE</c>).
    /// </summary>
    public Informer(Kubernetes client, string? @namespace = null, string? labelSelector = null, TimeProvider? time = null, ILogger? logger = null, string? fieldSelector = null)
        : this(client, ResourcePaths.Collection<T>(@namespace), labelSelector, fieldSelector, time, logger)
    {
    }

    private Informer(Kubernetes client, string path, string? labelSelector, string? fieldSelector, TimeProvider? time, ILogger? logger)
    {
        _fieldSelector = fieldSelector;
        _client = client;
        _api = new RawApi(client);
        _path = path;
        _labelSelector = labelSelector;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// An informer over the collection at <paramref name="collection"/> (relative: <c>/apis/&lt;group&gt;/&lt;version&gt;/&lt;plural&gt;</c>),
    /// for resources no model type names — custom resources, found at run time.
    /// </summary>
    public Informer(Kubernetes client, Uri collection, TimeProvider? time = null, ILogger? logger = null)
        : this(client, collection?.OriginalString ?? throw new ArgumentNullException(nameof(collection)), null, null, time, logger)
    {
    }

    /// <summary>The cache.</summary>
    public Indexer<T> Store { get; } = new();

    /// <summary>True once the first LIST is in the cache.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The last resourceVersion seen (from a list, an event or a bookmark).</summary>
    public string LastResourceVersion => Volatile.Read(ref _resourceVersion);

    /// <summary>
    /// How often every cached object is handed to the handlers again as an update with old == new (client-go's
    /// resync), so level-based controllers re-check what no event changed; zero (the default) for never. Set before
    /// <see cref="RunAsync"/>.
    /// </summary>
    public TimeSpan ResyncPeriod { get; set; }

    /// <summary>Adds a handler; add handlers before <see cref="RunAsync"/>.</summary>
    public void AddHandler(IResourceEventHandler<T> handler) => _handlers.Add(handler);

    /// <summary>Waits until the cache holds the first LIST.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Lists and watches until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Task resync = ResyncPeriod > TimeSpan.Zero ? ResyncAsync(cancellationToken) : Task.CompletedTask;
        try
        {
            await ListAndWatchAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await resync.ConfigureAwait(false);
        }
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            await WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
            while (true)
            {
                await Task.Delay(ResyncPeriod, _time, cancellationToken).ConfigureAwait(false);
                lock (_deliverLock)
                {
                    foreach (T obj in Store.List())
                    {
                        Notify(h => h.OnUpdate(obj, obj));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ListAndWatchAsync(CancellationToken cancellationToken)
    {
        bool needList = true;
        TimeSpan backoff = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAsync(cancellationToken).ConfigureAwait(false);
                    needList = false;
                }

                needList = await WatchAsync(cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Anything, not only the network: a list or watch that fails for a reason nobody foresaw is retried
                // with back-off rather than ending the informer for good.
                LogRetry(_logger, _path, e.Message);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var fresh = new Dictionary<string, T>(StringComparer.Ordinal);
        string? next = null;
        string revision;
        do
        {
            using JsonDocument page = await _api.GetJsonAsync(Query(("limit", "500"), ("continue", next)), cancellationToken).ConfigureAwait(false);
            foreach (JsonElement item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                T obj = item.Deserialize<T>(Navarch.Api.KubernetesSerialization.Options)!;
                fresh[ObjectKeys.KeyOf(obj)] = obj;
            }

            JsonElement metadata = page.RootElement.GetProperty("metadata");
            revision = metadata.GetProperty("resourceVersion").GetString() ?? "";
            next = metadata.TryGetProperty("continue", out JsonElement c) && c.GetString() is { Length: > 0 } token ? token : null;
        }
        while (next is not null);

        // Tell the handlers what changed since the cache was last filled: deletions missed meanwhile are tombstones.
        lock (_deliverLock)
        {
            foreach (string key in Store.Keys.Where(k => !fresh.ContainsKey(k)))
            {
                if (Store.Remove(key) is { } gone)
                {
                    Notify(h => h.OnDelete(gone, finalStateUnknown: true));
                }
            }

            foreach (T obj in fresh.Values)
            {
                Deliver(Store.Set(obj), obj);
            }
        }

        Volatile.Write(ref _resourceVersion, revision);
        _synced.TrySetResult();
    }

    /// <summary>Watches from the last revision; returns true when a re-list is needed (410 Gone).</summary>
    private async Task<bool> WatchAsync(CancellationToken cancellationToken)
    {
        // Each watch asks the server to end it before the client's own timeout, then resumes.
        string timeout = ((int)Math.Max(10, Math.Min(300, _client.HttpClient.Timeout.TotalSeconds - 10))).ToString(CultureInfo.InvariantCulture);
        using HttpResponseMessage response = await _api.SendAsync(
            HttpMethod.Get,
            Query(("watch", "true"), ("resourceVersion", LastResourceVersion), ("allowWatchBookmarks", "true"), ("timeoutSeconds", timeout)),
            completion: HttpCompletionOption.ResponseHeadersRead,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Gone)
        {
            return true;
        }

        await RawApi.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using JsonDocument e = JsonDocument.Parse(line);
            string type = e.RootElement.GetProperty("type").GetString() ?? "";
            JsonElement body = e.RootElement.GetProperty("object");
            if (type == "ERROR")
            {
                if (body.TryGetProperty("code", out JsonElement code) && code.GetInt32() == 410)
                {
                    return true;
                }

                throw new ApiException(body.TryGetProperty("code", out JsonElement c2) ? c2.GetInt32() : 500, $"watch of {_path} failed: {body.GetRawText()}");
            }

            string? rv = body.GetProperty("metadata").TryGetProperty("resourceVersion", out JsonElement v) ? v.GetString() : null;
            if (type != "BOOKMARK")
            {
                T obj = body.Deserialize<T>(Navarch.Api.KubernetesSerialization.Options)!;
                lock (_deliverLock)
                {
                    if (type == "DELETED")
                    {
                        T last = Store.Remove(ObjectKeys.KeyOf(obj)) ?? obj;
                        Notify(h => h.OnDelete(last, finalStateUnknown: false));
                    }
                    else
                    {
                        Deliver(Store.Set(obj), obj);
                    }
                }
            }

            if (rv is { Length: > 0 })
            {
                Volatile.Write(ref _resourceVersion, rv);
            }
        }

        return false;
    }

    private void Deliver(T? old, T obj) => Notify(h =>
    {
        if (old is null)
        {
            h.OnAdd(obj);
        }
        else
        {
            h.OnUpdate(old, obj);
        }
    });

    /// <summary>
    /// Calls every handler; one that throws is logged and the others still run. A handler's bug must not end the
    /// informer's loop, which every other handler of the process depends on (client-go's HandleCrash, without the crash).
    /// </summary>
    private void Notify(Action<IResourceEventHandler<T>> call)
    {
        foreach (IResourceEventHandler<T> handler in _handlers)
        {
            try
            {
                call(handler);
            }
            catch (Exception e)
            {
                LogHandlerFailed(_logger, _path, e);
            }
        }
    }

    private string Query(params (string Name, string? Value)[] parameters)
    {
        var all = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).ToList();
        if (!string.IsNullOrEmpty(_labelSelector))
        {
            all.Add(("labelSelector", _labelSelector));
        }

        if (!string.IsNullOrEmpty(_fieldSelector))
        {
            all.Add(("fieldSelector", _fieldSelector));
        }

        return _path + "?" + string.Join('&', all.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A handler of the informer of {Path} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string path, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Informer of {Path} retries: {Reason}")]
    private static partial void LogRetry(ILogger logger, string path, string reason);
}
