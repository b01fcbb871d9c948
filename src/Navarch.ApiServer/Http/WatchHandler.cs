using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// Streams watch events as newline-delimited JSON. Without a resourceVersion (or "0") the current objects come
    /// first as ADDED; otherwise changes after that revision. Selectors apply to the old and new object, so an object
    /// that stops matching arrives as DELETED and one that starts matching as ADDED.
    /// </summary>
    private async Task WatchAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        IQueryCollection q = context.Request.Query;
        LabelSelector labels = LabelSelector.Parse(q["labelSelector"]);
        FieldSelector fields = ParseFieldSelector(definition, q["fieldSelector"]);
        string rv = q["resourceVersion"].ToString();
        long timeout = ParseLong(q["timeoutSeconds"], "timeoutSeconds");
        bool bookmarks = q["allowWatchBookmarks"].ToString() == "true";
        bool table = Responder.WantsTable(context);
        string prefix = definition.ListPrefix(ns);
        long requested = rv is "" or "0" ? 0 : ParseLong(rv, "resourceVersion");

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        cts.CancelAfter(TimeSpan.FromSeconds(timeout > 0 ? Math.Min(timeout, 3600) : 1800));
        CancellationToken ct = cts.Token;

        bool Matches(IKubernetesObject<V1ObjectMeta> o) => labels.Matches(o.Metadata.Labels) && fields.Matches(definition.Strategy.SelectableFields(o));

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(ct);
        await context.Response.Body.FlushAsync(ct);

        async Task SendAsync(string type, JsonNode obj)
        {
            await context.Response.WriteAsync(new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString(KubernetesSerialization.Options) + "\n", ct);
            await context.Response.Body.FlushAsync(ct);
        }

        JsonNode Render(IKubernetesObject<V1ObjectMeta> o) =>
            table ? Responder.Table(context, definition, [o], o.Metadata.ResourceVersion, null, time.GetUtcNow()) : ObjectCodec.ToNode(o);

        long since;
        try
        {
            if (rv is "" or "0")
            {
                (List<KeyValue> current, long at) = await caches.For(definition).ListAsync(prefix, ct);
                foreach (IKubernetesObject<V1ObjectMeta> o in current.Select(kv => ObjectCodec.Decode(definition, kv)).Where(Matches))
                {
                    await SendAsync("ADDED", Render(o));
                }

                since = at;
            }
            else
            {
                since = requested;
            }

            var last = since;
            using var bookmarkTimer = bookmarks ? new PeriodicTimer(TimeSpan.FromSeconds(30), time) : null;
            using var stopEvents = CancellationTokenSource.CreateLinkedTokenSource(ct);
            await using IAsyncEnumerator<WatchEvent> events = caches.For(definition).WatchAsync(prefix, since, stopEvents.Token).GetAsyncEnumerator(stopEvents.Token);
            Task<bool> next = events.MoveNextAsync().AsTask();
            try
            {
                // One wait on the timer at a time (a PeriodicTimer allows no more): it carries over while events arrive.
                Task? tick = null;
                while (true)
                {
                    tick ??= bookmarkTimer is null ? Task.Delay(Timeout.Infinite, ct) : bookmarkTimer.WaitForNextTickAsync(ct).AsTask();
                    if (await Task.WhenAny(next, tick) == tick)
                    {
                        await tick;
                        tick = null;
                        var bookmark = (IKubernetesObject<V1ObjectMeta>)Activator.CreateInstance(definition.ClrType)!;
                        bookmark.ApiVersion = definition.ApiVersion;
                        bookmark.Kind = definition.Kind;
                        bookmark.Metadata = new V1ObjectMeta { ResourceVersion = last.ToString(CultureInfo.InvariantCulture) };
                        await SendAsync("BOOKMARK", ObjectCodec.ToNode(bookmark));
                        continue;
                    }

                    if (!await next)
                    {
                        return;
                    }

                    WatchEvent e = events.Current;
                    last = e.Revision;
                    IKubernetesObject<V1ObjectMeta>? before = e.PrevKv is null ? null : ObjectCodec.Decode(definition, e.PrevKv);
                    IKubernetesObject<V1ObjectMeta>? after = e.Type == Storage.WatchEventType.Put ? ObjectCodec.Decode(definition, e.Kv) : null;
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
            long compacted = await store.GetCompactedRevisionAsync(CancellationToken.None);
            V1Status status = ApiErrors.Expired($"too old resource version: {rv} ({compacted})").Status;
            await SendAsync("ERROR", Responder.StatusJson(status));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Timeout or client gone: the stream simply ends, as Kubernetes does.
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "A watch of {Resource} was ended: {Reason}")]
    private static partial void LogSlowWatcher(Microsoft.Extensions.Logging.ILogger logger, string resource, string reason);
}
