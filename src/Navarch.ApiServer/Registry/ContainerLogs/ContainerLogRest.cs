using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Logging;
using Navarch.ApiServer.ContainerLogs;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Registry.ContainerLogs;

/// <summary>
/// <c>GET /apis/logging.navarch.io/v1[/namespaces/NS]/containerlogs</c>: the central log store's lines, pods deleted
/// long ago included, selected by the pods' labels (<c>labelSelector</c>), by <c>fieldSelector</c> on
/// <c>metadata.name</c>, <c>metadata.namespace</c>, <c>podUID</c>, <c>container</c>, <c>node</c> and <c>stream</c>, and by
/// pods/log's <c>sinceSeconds</c>, <c>sinceTime</c>, <c>tailLines</c> and <c>follow</c> (validated as PodLogOptions are).
/// The answer is a ContainerLogList written as the store is read, or — following, or when the client accepts
/// <c>application/x-ndjson</c> — one ContainerLog per line.
/// </summary>
internal sealed class ContainerLogRest(ContainerLogStore store, TimeProvider time) : IRestConnecter
{
    public const string LinesMediaType = "application/x-ndjson";

    public async Task ConnectAsync(HttpContext context, RestRequest request)
    {
        if (request.Info.Verb != "list")
        {
            throw ApiErrors.MethodNotSupported("containerlogs.logging.navarch.io", context.Request.Method);
        }

        (ContainerLogQuery query, bool follow) = Parse(request, context.Request.Query, time.GetUtcNow());
        bool lines = follow || context.Request.Headers.Accept.ToString().Contains(LinesMediaType, StringComparison.OrdinalIgnoreCase);
        context.Response.StatusCode = 200;
        context.Response.ContentType = lines ? LinesMediaType : "application/json";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        try
        {
            await (lines ? WriteLinesAsync(context.Response.Body, query, follow, context.RequestAborted) : WriteListAsync(context.Response.Body, query, context.RequestAborted));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (how a follow ends).
        }
    }

    /// <summary>One ContainerLog per line; a follower gets each line as it is stored.</summary>
    private async Task WriteLinesAsync(Stream body, ContainerLogQuery query, bool follow, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        await using var writer = new Utf8JsonWriter(buffer);
        await foreach (ContainerLogRecord record in store.ReadAsync(query, follow, cancellationToken))
        {
            writer.Reset(buffer);
            Write(writer, record);
            writer.Flush();
            buffer.Write("\n"u8);
            if (follow || buffer.WrittenCount > 32 * 1024)
            {
                await body.WriteAsync(buffer.WrittenMemory, cancellationToken);
                buffer.Clear();
                if (follow)
                {
                    await body.FlushAsync(cancellationToken);
                }
            }
        }

        await body.WriteAsync(buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>A ContainerLogList, written as the store is read.</summary>
    private async Task WriteListAsync(Stream body, ContainerLogQuery query, CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(body);
        writer.WriteStartObject();
        writer.WriteString("apiVersion", "logging.navarch.io/v1");
        writer.WriteString("kind", "ContainerLogList");
        writer.WriteStartObject("metadata");
        writer.WriteEndObject();
        writer.WriteStartArray("items");
        await foreach (ContainerLogRecord record in store.ReadAsync(query, follow: false, cancellationToken))
        {
            Write(writer, record);
            if (writer.BytesPending > 32 * 1024)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Reads the query string; bad values are 400 (unparseable) or 422 (out of range), as pods/log.</summary>
    private static (ContainerLogQuery Query, bool Follow) Parse(RestRequest request, IQueryCollection q, DateTimeOffset now)
    {
        request.Info.Options.Fields.CheckSupported(ContainerLogQuery.SupportedFields);
        LogWindow window = LogWindow.Parse(q, now, "ContainerLog", "logging.navarch.io", "");
        var query = new ContainerLogQuery(request.Info.Namespace, request.Info.Options.Labels, request.Info.Options.Fields, window.SinceNanos, window.TailLines);
        return (query, RequestOptions.Flag(q, "follow"));
    }

    private static void Write(Utf8JsonWriter writer, ContainerLogRecord record)
    {
        writer.WriteStartObject();
        writer.WriteString("apiVersion", "logging.navarch.io/v1");
        writer.WriteString("kind", "ContainerLog");
        writer.WriteStartObject("metadata");
        writer.WriteString("name", record.Pod);
        writer.WriteString("namespace", record.Namespace);
        if (record.Labels is { Count: > 0 } labels)
        {
            writer.WriteStartObject("labels");
            foreach ((string key, string value) in labels)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteString("podUID", record.PodUid);
        writer.WriteString("container", record.Container);
        writer.WriteString("node", record.Node);
        writer.WriteString("stream", record.Stream);
        writer.WriteString("time", LogTime.Format(record.Time));
        writer.WriteString("message", record.Message);
        writer.WriteEndObject();
    }
}
