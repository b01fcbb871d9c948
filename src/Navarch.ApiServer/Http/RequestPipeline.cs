using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.Storage;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Every request's path through the server: parsed once into a <see cref="RequestInfo"/> → metrics → in-flight limit →
/// unauthenticated health endpoints → authentication → impersonation → authorization → discovery, OpenAPI, or the
/// resource handler; any failure becomes a Kubernetes Status.
/// </summary>
internal sealed partial class RequestPipeline(
    ResourceCatalog catalog,
    ResourceHandler handler,
    Discovery discovery,
    Authentication authentication,
    Authorization.IAuthorizer authorizer,
    Navarch.ApiServer.Authentication.Impersonation impersonation,
    Join.JoinEndpoints join,
    Storage.Encryption.EncryptionEndpoints encryption,
    int maxInFlight,
    BodyBudget bodies,
    Health.HealthEndpoints health,
    ILogger logger,
    Audit.AuditFilter? audit = null,
    Aggregator.ApiAggregator? aggregator = null,
    Metrics.ApiServerMetrics? metrics = null,
    PrometheusDiscovery.PrometheusServiceDiscovery? prometheus = null,
    TimeProvider? time = null) : IDisposable
{
    /// <summary>Marks a request the aggregator proxied, for the metrics' <c>component</c> label.</summary>
    private static readonly object AggregatedKey = new();

    // Kubernetes' long-running subresources: streams that may stay open indefinitely.
    private static readonly HashSet<string> LongRunningSubresources = new(StringComparer.Ordinal) { "log", "exec", "attach", "portforward", "proxy" };

    private readonly CatalogCache<OpenApi.OpenApiDocuments> _openApi = new(catalog, definitions => new OpenApi.OpenApiDocuments(definitions));
    private readonly OpenApiV2Handler _openApiV2 = new(time ?? TimeProvider.System);

    private readonly AggregatedDiscovery _aggregatedDiscovery = new(catalog, aggregator?.Discovery is { } remote ? () => remote.Current : null);

    private readonly SemaphoreSlim _inFlight = new(maxInFlight, maxInFlight);

    /// <summary>The address clients reach the server at, for /api; known once the server listens.</summary>
    public string ServerAddress { get; set; } = "127.0.0.1:6443";

    public void Dispose() => _inFlight.Dispose();

    /// <summary>
    /// Requests that may stay open indefinitely and so do not count against the in-flight limit (kube-apiserver's
    /// long-running check): watches, and the log, exec, attach, portforward and proxy subresources — and a follow of
    /// the central log store's lines, which is pods/log's follow for pods of any age.
    /// </summary>
    internal static bool IsLongRunning(RequestInfo info, IQueryCollection? query = null) =>
        info.Options.Watch || (info.Subresource is { } sub && LongRunningSubresources.Contains(sub))
        || (query is not null && info.Resource == "containerlogs" && info.Group == "logging.navarch.io" && RequestOptions.Flag(query, "follow"));

    public async Task InvokeAsync(HttpContext context)
    {
        Audit.AuditId.Init(context);
        RequestInfo info = RequestInfoFactory.Parse(context.Request);
        bool longRunning = IsLongRunning(info, context.Request.Query);
        if (metrics is null)
        {
            await ServeAsync(context, info, longRunning);
            return;
        }

        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        context.Features.Set(metrics);
        using Metrics.ApiServerMetrics.InFlight inFlight = metrics.Begin(info);
        Prometheus.Gauge.Child? open = longRunning ? metrics.LongRunning(context, info, "apiserver") : null;
        try
        {
            await ServeAsync(context, info, longRunning);
        }
        finally
        {
            open?.Dec();
            metrics.Record(context, info, context.Items.ContainsKey(AggregatedKey) ? "aggregator" : "apiserver", System.Diagnostics.Stopwatch.GetElapsedTime(start));
        }
    }

    private async Task ServeAsync(HttpContext context, RequestInfo info, bool longRunning)
    {
        if (!longRunning && !_inFlight.Wait(0))
        {
            await RequestBody.DiscardAsync(context);
            context.Response.Headers.RetryAfter = "1";
            await Responder.WriteStatusAsync(context, ApiErrors.TooManyRequests().Status);
            return;
        }

        using var bodyLease = new BodyLease(bodies);
        context.Features.Set(bodyLease);
        try
        {
            await RouteAsync(context, info);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's limits and framing errors, wherever the body was read.
            await WriteErrorAsync(context, (e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ApiErrors.TooLarge() : ApiErrors.BadRequest(e.Message)).Status);
        }
        catch (StatusException e)
        {
            await WriteErrorAsync(context, e.Status);
        }
        catch (StorageException e)
        {
            await WriteErrorAsync(context, Map(e).Status);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUnhandled(logger, context.Request.Method, context.Request.Path, e);
            Audit.AuditContext.Of(context)?.Panic(e);
            await WriteErrorAsync(context, ApiErrors.Internal(e.Message).Status);
        }
        finally
        {
            Audit.AuditContext.Of(context)?.Complete();
            if (!longRunning)
            {
                _inFlight.Release();
            }
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, k8s.Models.V1Status status)
    {
        if (!context.Response.HasStarted)
        {
            await Responder.WriteStatusAsync(context, status);
        }
    }

    private static StatusException Map(StorageException e) => e.Code switch
    {
        StorageErrorCode.KeyNotFound => ApiErrors.NotFound("", e.Key),
        StorageErrorCode.Compacted => ApiErrors.Expired(e.Message),
        StorageErrorCode.FutureRevision => ApiErrors.Timeout($"Too large resource version: {e.Message}"),
        StorageErrorCode.InvalidKey => ApiErrors.BadRequest(e.Message),
        StorageErrorCode.ValueTooLarge => ApiErrors.TooLarge(e.Message),
        StorageErrorCode.InvalidContinue => ApiErrors.BadRequest(e.Message),
        StorageErrorCode.Conflict => ApiErrors.Conflict("", e.Key),
        StorageErrorCode.KeyExists => ApiErrors.AlreadyExists("", e.Key),
        StorageErrorCode.Corrupt => ApiErrors.Internal(e.Message),
        _ => ApiErrors.Unavailable(e.Message),
    };

    private async Task RouteAsync(HttpContext context, RequestInfo info)
    {
        string path = context.Request.Path.Value ?? "/";

        // kube-apiserver serves these with and without a trailing slash (the C# client asks for /version/), and the
        // ping check under each health endpoint.
        if (await health.TryHandleAsync(context, path))
        {
            return;
        }

        switch (path.Length > 1 ? path.TrimEnd('/') : path)
        {
            case "/version":
                await Responder.WriteJsonAsync(context, 200, BuildInfo.Version());
                return;
        }

        if (await join.TryHandleAsync(context))
        {
            return;
        }

        if (await authentication.AuthenticateAsync(context) is not { } authenticated)
        {
            audit?.FailedAuthentication(context, info);
            await Responder.WriteStatusAsync(context, ApiErrors.Unauthorized().Status);
            return;
        }

        Audit.AuditContext? audited = audit?.Begin(context, info, authenticated, IsLongRunning(info, context.Request.Query));
        UserInfo user = await impersonation.ActAsAsync(context.Request.Headers, authenticated, context.RequestAborted);
        if (!ReferenceEquals(user, authenticated))
        {
            audited?.LogImpersonatedUser(user);
        }

        using IDisposable requestScope = RequestScope.Begin(context, user);

        if (!info.IsResourceRequest)
        {
            // Discovery and OpenAPI are non-resource URLs: system:discovery grants them to every authenticated user.
            await AuthorizeAsync(new Authorization.RequestAttributes(user, info.Verb, "", "", null, null, null, path), context.RequestAborted);
            if (await encryption.TryHandleAsync(context))
            {
                return;
            }

            if (prometheus is not null && await prometheus.TryHandleAsync(context, user))
            {
                return;
            }
        }

        if (metrics is not null && context.Request.Method == "GET" && path == "/metrics")
        {
            await metrics.WriteAsync(context);
            return;
        }

        if (context.Request.Method == "GET" && path.TrimEnd('/') is "/api" or "/apis" && DiscoveryNegotiation.AggregatedVersion(context.Request.Headers.Accept) is { } aggregatedVersion)
        {
            await _aggregatedDiscovery.WriteAsync(context, core: path.TrimEnd('/') == "/api", aggregatedVersion);
            return;
        }

        if (context.Request.Method == "GET" && path.TrimEnd('/') == "/api")
        {
            await Responder.WriteJsonAsync(context, 200, Discovery.Versions(ServerAddress));
            return;
        }

        if (context.Request.Method == "GET" && discovery.Find(path) is { } document)
        {
            if (aggregator is not null && path.TrimEnd('/') == "/apis")
            {
                document = await aggregator.GroupListAsync(document, context.RequestAborted);
            }

            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(document, context.RequestAborted);
            return;
        }

        if (context.Request.Method == "GET" && path.TrimEnd('/') == "/openapi/v2")
        {
            await _openApiV2.ServeAsync(context, aggregator?.OpenApiV2(_openApi.Current.V2) ?? _openApi.Current.V2);
            return;
        }

        if (context.Request.Method == "GET" && path.StartsWith("/openapi/v3", StringComparison.Ordinal))
        {
            OpenApi.OpenApiDocuments documents = _openApi.Current;
            byte[]? openapi = path.TrimEnd('/') == "/openapi/v3" ? documents.Index : documents.Find(path["/openapi/v3/".Length..].TrimEnd('/'));
            if (aggregator is not null && openapi is not null && path.TrimEnd('/') == "/openapi/v3")
            {
                openapi = aggregator.OpenApiIndex(openapi);
            }

            if (openapi is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(openapi, context.RequestAborted);
                return;
            }
        }

        if (Resolve(info) is not { } definition)
        {
            if (aggregator is not null && await TryAggregateAsync(context, info, user, path, aggregator))
            {
                return;
            }

            await Responder.WriteStatusAsync(context, NotFoundPath().Status);
            return;
        }

        // A list or watch of one object by name is authorized as that object, as Kubernetes' RequestInfo does.
        string? name = info.Name ?? (info.Verb is "list" or "watch" ? info.Options.Fields.RequiresExactMatch("metadata.name") : null);
        await AuthorizeAsync(new Authorization.RequestAttributes(user, info.Verb, info.Group, info.Resource, info.Subresource, info.Namespace, name, Fields: info.Options.Fields), context.RequestAborted);
        if (info.Options.Error is { } malformed)
        {
            throw malformed;
        }

        await handler.HandleAsync(context, info, definition, user);
    }

    /// <summary>
    /// A path the catalog does not serve may be an aggregated API's: <c>/apis/&lt;group&gt;</c> of a remote group is
    /// described here, anything under <c>/apis/&lt;group&gt;/&lt;version&gt;</c> an APIService claims is authorized as
    /// kube-apiserver authorizes it and proxied.
    /// </summary>
    private async Task<bool> TryAggregateAsync(HttpContext context, RequestInfo info, UserInfo user, string path, Aggregator.ApiAggregator aggregator)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[0] == "apis" && context.Request.Method == "GET" && await aggregator.GroupAsync(parts[1], context.RequestAborted) is { } group)
        {
            await Responder.WriteJsonAsync(context, 200, group);
            return true;
        }

        if (await aggregator.ServingAsync(path, context.RequestAborted) is not { } apiService)
        {
            return false;
        }

        if (info.IsResourceRequest)
        {
            string? name = info.Name ?? (info.Verb is "list" or "watch" ? info.Options.Fields.RequiresExactMatch("metadata.name") : null);
            await AuthorizeAsync(new Authorization.RequestAttributes(user, info.Verb, info.Group, info.Resource, info.Subresource, info.Namespace, name, Fields: info.Options.Fields), context.RequestAborted);
        }

        context.Items[AggregatedKey] = true;
        await aggregator.ProxyAsync(context, apiService, user, IsLongRunning(info));
        return true;
    }

    /// <summary>Refuses (a 403 Status) what the authorizer does not allow.</summary>
    private async Task AuthorizeAsync(Authorization.RequestAttributes attributes, CancellationToken cancellationToken)
    {
        string? refusal = await authorizer.AuthorizeAsync(attributes, cancellationToken);
        Audit.AuditAnnotations.RecordDecision(refusal);
        if (refusal is { } reason)
        {
            throw Authorization.ForbiddenStatus.For(attributes, reason);
        }
    }

    /// <summary>
    /// The served resource a request is about: its group/version and resource in the catalog, at most a name and a
    /// subresource after it, and a namespace only for a namespaced resource. Null is a 404 for the path.
    /// </summary>
    private ResourceDefinition? Resolve(RequestInfo info)
    {
        if (!info.IsResourceRequest || info.Parts.Count > 3 || catalog.Find(info.Group, info.Version, info.Resource) is not { } definition)
        {
            return null;
        }

        return info.Namespace is not null && !definition.Namespaced ? null : definition;
    }

    private static StatusException NotFoundPath()
    {
        StatusException e = ApiErrors.NotFound("", "");
        e.Status.Message = "the server could not find the requested resource";
        e.Status.Details = new k8s.Models.V1StatusDetails();
        return e;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error serving {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, PathString path, Exception error);
}
