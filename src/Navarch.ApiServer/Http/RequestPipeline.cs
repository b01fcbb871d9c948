using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.Storage;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Every request's path through the server: in-flight limit → unauthenticated health endpoints → authentication →
/// discovery or the generic resource handler; any failure becomes a Kubernetes Status.
/// </summary>
internal sealed partial class RequestPipeline(ResourceCatalog catalog, ResourceHandler handler, Discovery discovery, Authentication authentication, Authorization.IAuthorizer authorizer, int maxInFlight, ILogger logger) : IDisposable
{
    private readonly Lazy<OpenApi.OpenApiDocuments> _openApi = new(() => new OpenApi.OpenApiDocuments(catalog));

    private readonly SemaphoreSlim _inFlight = new(maxInFlight, maxInFlight);

    public string ServerAddress { get; set; } = "127.0.0.1:6443";

    /// <summary>The unauthenticated join endpoints (<c>/cacerts</c>, <c>/v1-navarch/...</c>), when served.</summary>
    public Join.JoinEndpoints? Join { get; set; }

    /// <summary>SelfSubjectReview and SelfSubjectAccessReview, answered for the authenticated caller.</summary>
    public SelfReviews? Reviews { get; set; }

    public void Dispose() => _inFlight.Dispose();

    /// <summary>
    /// Requests that may stay open indefinitely and so do not count against the in-flight limit (kube-apiserver's
    /// long-running check): watches, and the log, exec, attach, portforward and proxy subresources.
    /// </summary>
    internal static bool IsLongRunning(HttpRequest request)
    {
        if (request.Query["watch"].ToString() is "true" or "1")
        {
            return true;
        }

        // .../{pods|services|nodes}/{name}/{subresource}[/...]
        string[] segments = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 2; i < segments.Length; i++)
        {
            if (segments[i - 2] is "pods" or "services" or "nodes" && segments[i] is "log" or "exec" or "attach" or "portforward" or "proxy")
            {
                return true;
            }
        }

        return false;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        bool longRunning = IsLongRunning(context.Request);
        if (!longRunning && !_inFlight.Wait(0))
        {
            context.Response.Headers.RetryAfter = "1";
            await Responder.WriteStatusAsync(context, ApiErrors.TooManyRequests().Status);
            return;
        }

        try
        {
            await RouteAsync(context);
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
            await WriteErrorAsync(context, ApiErrors.Internal(e.Message).Status);
        }
        finally
        {
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
        _ => ApiErrors.Unavailable(e.Message),
    };

    private async Task RouteAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        switch (path)
        {
            case "/healthz" or "/livez" or "/readyz":
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("ok", context.RequestAborted);
                return;
            case "/version":
                await Responder.WriteJsonAsync(context, 200, new JsonObject
                {
                    ["major"] = "1",
                    ["minor"] = "32",
                    ["gitVersion"] = ApiServer.KubernetesVersion + "+navarch",
                    ["gitCommit"] = "navarch",
                    ["gitTreeState"] = "clean",
                    ["buildDate"] = "2026-11-22T00:00:00Z",
                    ["goVersion"] = "dotnet" + Environment.Version,
                    ["compiler"] = "roslyn",
                    ["platform"] = "linux/amd64",
                });
                return;
        }

        if (Join is not null && await Join.TryHandleAsync(context))
        {
            return;
        }

        if (await authentication.AuthenticateAsync(context) is not { } user)
        {
            await Responder.WriteStatusAsync(context, ApiErrors.Unauthorized().Status);
            return;
        }

        using IDisposable requestScope = RequestScope.Begin(context, user);

        if (Reviews is not null && await Reviews.TryHandleAsync(context, path, user))
        {
            return;
        }

        if (context.Request.Method == "GET")
        {
            JsonNode? document = path.TrimEnd('/') switch
            {
                "/api" => Discovery.Versions(ServerAddress),
                "/apis" => discovery.Groups(),
                "/api/v1" => discovery.Resources("", "v1"),
                var p when p.StartsWith("/apis/", StringComparison.Ordinal) && p.Split('/').Length == 3 => discovery.GroupDocument(p.Split('/')[2]),
                var p when p.StartsWith("/apis/", StringComparison.Ordinal) && p.Split('/').Length == 4 && catalog.GroupVersions.Contains((p.Split('/')[2], p.Split('/')[3])) => discovery.Resources(p.Split('/')[2], p.Split('/')[3]),
                _ => null,
            };
            if (document is not null)
            {
                await Responder.WriteJsonAsync(context, 200, document);
                return;
            }
        }

        if (context.Request.Method == "GET" && path.TrimEnd('/') == "/openapi/v2")
        {
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(_openApi.Value.V2, context.RequestAborted);
            return;
        }

        if (context.Request.Method == "GET" && path.StartsWith("/openapi/v3", StringComparison.Ordinal))
        {
            byte[]? openapi = path.TrimEnd('/') == "/openapi/v3" ? _openApi.Value.Index : _openApi.Value.Find(path["/openapi/v3/".Length..].TrimEnd('/'));
            if (openapi is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(openapi, context.RequestAborted);
                return;
            }
        }

        ApiPath? api = ApiPath.Parse(catalog, path);
        if (api?.Resource is null)
        {
            await Responder.WriteStatusAsync(context, NotFoundPath(api).Status);
            return;
        }

        string verb = (context.Request.Method, api.Name) switch
        {
            ("GET", null) => context.Request.Query["watch"].ToString() is "true" or "1" ? "watch" : "list",
            ("GET", _) => "get",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", null) => "deletecollection",
            ("DELETE", _) => "delete",
            _ => context.Request.Method.ToLowerInvariant(),
        };
        var attributes = new Authorization.RequestAttributes(user, verb, api.Group, api.Resource.Plural, api.Subresource, api.Namespace, api.Name);
        if (await authorizer.AuthorizeAsync(attributes, context.RequestAborted) is { } reason)
        {
            string scope = api.Namespace is null ? "at the cluster scope" : $"in the namespace \"{api.Namespace}\"";
            string because = reason.Length > 0 ? $": {reason}" : "";
            StatusException denied = ApiErrors.Forbidden(api.Resource.GroupResource, api.Name ?? "", $"User \"{user.Name}\" cannot {verb} resource \"{api.Resource.Plural}{(api.Subresource is { } sub ? "/" + sub : "")}\" in API group \"{api.Group}\" {scope}{because}");
            await Responder.WriteStatusAsync(context, denied.Status);
            return;
        }

        await handler.HandleAsync(context, api);
    }

    private static StatusException NotFoundPath(ApiPath? api)
    {
        StatusException e = ApiErrors.NotFound("", "");
        e.Status.Message = api?.Unknown == true ? $"the server could not find the requested resource" : "the server could not find the requested resource";
        e.Status.Details = new k8s.Models.V1StatusDetails();
        return e;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error serving {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, PathString path, Exception error);
}
