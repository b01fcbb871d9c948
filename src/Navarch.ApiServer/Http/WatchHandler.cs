using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Serialization;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Http;

/// <summary>
/// WATCH (apiserver's handlers.ListResource with watch=true): newline-delimited JSON events from the resource's watch
/// cache, or length-prefixed protobuf WatchEvents when the client's Accept prefers Kubernetes' protobuf. Without a resourceVersion (or "0") the current objects come first as ADDED; otherwise changes after that
/// revision. Selectors apply to the old and new object, so an object that stops matching arrives as DELETED and one
/// that starts matching as ADDED.
/// </summary>
internal static partial class WatchHandler
{
    public static async Task ServeAsync(HttpContext context, RequestInfo info, GenericStore store, Microsoft.Extensions.Logging.ILogger logger)
    {
        RequestOptions o = info.Options;
        ResourceDefinition definition = store.Definition;
        store.CheckFieldSelector(o.Fields);
        string rv = o.ResourceVersion;
        bool table = Responder.WantsTable(context);
        string? ns = info.Namespace;
        long timeout = o.TimeoutSeconds;
        bool bookmarks = o.AllowWatchBookmarks;

        // Negotiated before the watch's clock starts: the first protobuf lookup of a process loads every message
        // descriptor, which on a loaded machine has taken longer than a short timeoutSeconds.
        bool protobuf = !table && ProtobufNegotiation.Negotiate(context, KubernetesProtobuf.Supports(definition.ApiVersion, definition.Kind)) == ProtobufNegotiation.Choice.Protobuf;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        TimeSpan lifetime = TimeSpan.FromSeconds(timeout > 0 ? Math.Min(timeout, 3600) : 1800);
        DateTimeOffset deadline = store.Time.GetUtcNow() + lifetime;
        cts.CancelAfter(lifetime);
        CancellationToken ct = cts.Token;

        bool Matches(IKubernetesObject<V1ObjectMeta> obj) => store.Matches(obj, o.Labels, o.Fields);

        // The 200 goes out whatever the timeout: a watch that ends before its first event is an empty stream, as
        // kube-apiserver's, never an error.
        context.Response.StatusCode = 200;
        context.Response.ContentType = protobuf ? KubernetesProtobuf.WatchMediaType : "application/json";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);

        Prometheus.Counter.Child? sent = context.Features.Get<Metrics.ApiServerMetrics>()?.WatchEvents(definition);
        async Task SendAsync(string type, JsonNode obj)
        {
            sent?.Inc();
            if (protobuf)
            {
                await context.Response.Body.WriteAsync(KubernetesProtobuf.EncodeWatchEvent(type, (JsonObject)obj), ct);
            }
            else
            {
                await context.Response.WriteAsync(new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString(KubernetesSerialization.Options) + "\n", ct);
            }

            await context.Response.Body.FlushAsync(ct);
        }

        JsonNode Render(IKubernetesObject<V1ObjectMeta> obj) =>
            table ? Responder.Table(context, definition, obj, store.Now) : ObjectCodec.ToResponseNode(obj);

        long since;
        try
        {
            // sendInitialEvents=true (client-go's watch-list) streams the current state whatever the resourceVersion and
            // ends it with an annotated bookmark; =false never does; unset, only a watch from "" or "0" does.
            bool initial = o.SendInitialEvents ?? rv is "" or "0";
            if (initial || rv is "" or "0")
            {
                (List<KeyValue> current, long at) = await store.ListCachedAsync(ns, ct);
                if (initial)
                {
                    foreach (IKubernetesObject<V1ObjectMeta> obj in (await store.DecodeAllAsync(current, ct)).Where(Matches))
                    {
                        await SendAsync("ADDED", Render(obj));
                    }
                }

                since = Math.Max(at, o.SendInitialEvents is null ? 0 : o.Revision);
                if (o.SendInitialEvents == true && bookmarks)
                {
                    await SendAsync("BOOKMARK", Bookmark(definition, since, initialEventsEnd: true));
                }
            }
            else
            {
                since = o.Revision;
            }

            var last = since;
            using var stopEvents = CancellationTokenSource.CreateLinkedTokenSource(ct);
            await using IAsyncEnumerator<WatchEvent> events = store.WatchAsync(ns, since, stopEvents.Token).GetAsyncEnumerator(stopEvents.Token);
            Task<bool> next = events.MoveNextAsync().AsTask();
            try
            {
                // One wait for the next bookmark at a time: it carries over while events arrive.
                Task? tick = null;
                while (true)
                {
                    tick ??= (bookmarks ? NextBookmark(store.Time.GetUtcNow(), deadline) : null) is { } wait ? Task.Delay(wait, store.Time, ct) : Task.Delay(Timeout.Infinite, ct);
                    if (await Task.WhenAny(next, tick) == tick)
                    {
                        await tick;
                        tick = null;
                        await SendAsync("BOOKMARK", Bookmark(definition, last, initialEventsEnd: false));
                        continue;
                    }

                    if (!await next)
                    {
                        return;
                    }

                    WatchEvent e = events.Current;
                    last = e.Revision;
                    IKubernetesObject<V1ObjectMeta>? before = e.PrevKv is null ? null : await store.DecodeAsync(e.PrevKv, ct);
                    IKubernetesObject<V1ObjectMeta>? after = e.Type == Navarch.Storage.WatchEventType.Put ? await store.DecodeAsync(e.Kv, ct) : null;
                    bool was = before is not null && Matches(before), now = after is not null && Matches(after);
                    if (after is not null && now)
                    {
                        await SendAsync(was ? "MODIFIED" : "ADDED", Render(after));
                    }
                    else if (was)
                    {
                        // Deleted, or no longer selected: the last state, at the revision of the change.
                        IKubernetesObject<V1ObjectMeta> gone = after ?? before!;
                        gone.Metadata.ResourceVersion = e.Revision.ToString(CultureInfo.InvariantCulture);
                        await SendAsync("DELETED", Render(gone));
                    }

                    next = events.MoveNextAsync().AsTask();
                }
            }
            finally
            {
                // An enumerator may not be disposed while a MoveNextAsync is in flight: end it and let it finish.
                await stopEvents.CancelAsync();
                await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
        catch (StorageException e) when (e.Code is StorageErrorCode.WatcherTooSlow)
        {
            // Cut off for falling behind: the stream ends and the client re-watches from its last revision.
            LogSlowWatcher(logger, definition.GroupResource, e.Message);
        }
        catch (StorageException e) when (e.Code is StorageErrorCode.Compacted)
        {
            long compacted = await store.CompactedRevisionAsync(CancellationToken.None);
            V1Status status = ApiErrors.Expired($"too old resource version: {rv} ({compacted})").Status;
            await SendAsync("ERROR", Responder.StatusJson(status));
        }
        catch (StatusException e)
        {
            // An object that cannot be served in this version (its conversion webhook failed): the watch ends with the error.
            await SendAsync("ERROR", Responder.StatusJson(e.Status));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Timeout or client gone: the stream simply ends, as Kubernetes does.
        }
    }

    /// <summary>How often a watch that allows bookmarks gets one (the cacher's bookmarkFrequency).</summary>
    private static readonly TimeSpan BookmarkFrequency = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long until the next bookmark, or null for none (the cacher's nextBookmarkTime): every minute, and last 2 s
    /// before the watch's deadline, so that a client re-watching after the timeout starts from a recent revision
    /// rather than one a short watch of a quiet resource never moved past.
    /// </summary>
    internal static TimeSpan? NextBookmark(DateTimeOffset now, DateTimeOffset deadline)
    {
        DateTimeOffset at = now + BookmarkFrequency;
        DateTimeOffset beforeDeadline = deadline - TimeSpan.FromSeconds(2);
        if (beforeDeadline < at)
        {
            at = beforeDeadline;
        }

        return at <= now ? null : at - now;
    }

    /// <summary>A bookmark: an empty object of the kind carrying only the revision (and, after the initial events, the annotation that says so).</summary>
    private static JsonNode Bookmark(ResourceDefinition definition, long revision, bool initialEventsEnd)
    {
        var bookmark = (IKubernetesObject<V1ObjectMeta>)Activator.CreateInstance(definition.ClrType)!;
        bookmark.ApiVersion = definition.ApiVersion;
        bookmark.Kind = definition.Kind;
        bookmark.Metadata = new V1ObjectMeta
        {
            ResourceVersion = revision.ToString(CultureInfo.InvariantCulture),
            Annotations = initialEventsEnd ? new Dictionary<string, string> { ["k8s.io/initial-events-end"] = "true" } : null,
        };
        return ObjectCodec.ToNode(bookmark);
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "A watch of {Resource} was ended: {Reason}")]
    private static partial void LogSlowWatcher(Microsoft.Extensions.Logging.ILogger logger, string resource, string reason);
}
