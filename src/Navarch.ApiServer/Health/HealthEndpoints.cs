using System.Text;
using Microsoft.AspNetCore.Http;
using Navarch.Storage;

namespace Navarch.ApiServer.Health;

/// <summary>
/// kube-apiserver's <c>/livez</c>, <c>/readyz</c> and <c>/healthz</c> (k8s.io/apiserver/pkg/server/healthz): each runs its
/// named checks and answers "ok", or HTTP 500 listing every check (<c>[+]ping ok</c>, <c>[-]etcd failed: reason
/// withheld</c>) and "&lt;name&gt; check failed". <c>?verbose</c> lists them on success too, <c>?exclude=&lt;check&gt;</c>
/// skips one, and <c>/readyz/&lt;check&gt;</c> runs one alone.
/// </summary>
internal sealed class HealthEndpoints
{
    /// <summary>How long the store may take to answer the etcd check (kube-apiserver's default etcd health timeout).</summary>
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, IReadOnlyList<HealthCheck>> _endpoints;

    private volatile bool _started;

    private volatile bool _shuttingDown;

    public HealthEndpoints(Func<IStore> store)
    {
        var etcd = new HealthCheck("etcd", cancellationToken => StoreHealthyAsync(store(), cancellationToken));
        HealthCheck[] hooks =
        [
            HealthCheck.PostStartHook("start-apiextensions-controllers", () => _started),
            HealthCheck.PostStartHook("rbac/bootstrap-roles", () => _started),
            HealthCheck.PostStartHook("bootstrap-controller", () => _started),
            HealthCheck.PostStartHook("apiservice-status-available-controller", () => _started),
        ];
        _endpoints = new Dictionary<string, IReadOnlyList<HealthCheck>>(StringComparer.Ordinal)
        {
            ["livez"] = [HealthCheck.Ping("ping"), HealthCheck.Ping("log"), etcd, .. hooks],
            ["readyz"] =
            [
                HealthCheck.Ping("ping"),
                HealthCheck.Ping("log"),
                etcd,
                etcd with { Name = "etcd-readiness" },
                new HealthCheck("informer-sync", _ => Task.FromResult(_started ? null : "informers not started yet")),
                .. hooks,
                new HealthCheck("shutdown", _ => Task.FromResult(_shuttingDown ? "process is shutting down" : null)),
            ],
            ["healthz"] = [HealthCheck.Ping("ping"), HealthCheck.Ping("log"), etcd, .. hooks],
        };
    }

    /// <summary>Marks the post-start hooks finished and the informers synced: the server is serving.</summary>
    public void Started() => _started = true;

    /// <summary>Fails readyz's shutdown check from now on, so load balancers stop sending before the listener closes.</summary>
    public void ShuttingDown() => _shuttingDown = true;

    /// <summary>Serves <paramref name="path"/> if it is a health endpoint or one of its checks; false otherwise.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context, string path)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !_endpoints.TryGetValue(parts[0], out IReadOnlyList<HealthCheck>? checks))
        {
            return false;
        }

        if (parts.Length > 1)
        {
            string name = string.Join('/', parts[1..]);
            if (checks.FirstOrDefault(c => c.Name == name) is not { } check)
            {
                // As Go's ServeMux answers a path it has no handler for.
                await WriteAsync(context, 404, "404 page not found\n");
                return true;
            }

            string? error = await check.Check(context.RequestAborted);
            await WriteAsync(context, error is null ? 200 : 500, error is null ? "ok" : $"internal server error: {error}\n");
            return true;
        }

        await ServeAsync(context, parts[0], checks);
        return true;
    }

    private static async Task ServeAsync(HttpContext context, string endpoint, IReadOnlyList<HealthCheck> checks)
    {
        HashSet<string> excluded = [.. context.Request.Query["exclude"].SelectMany(v => (v ?? "").Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0)];
        var output = new StringBuilder();
        bool failed = false;
        foreach (HealthCheck check in checks)
        {
            if (excluded.Remove(check.Name))
            {
                output.Append("[+]").Append(check.Name).Append(" excluded: ok\n");
                continue;
            }

            if (await check.Check(context.RequestAborted) is null)
            {
                output.Append("[+]").Append(check.Name).Append(" ok\n");
            }
            else
            {
                // The reason is for the server's log, not for whoever asks (the endpoints are open to everyone).
                failed = true;
                output.Append("[-]").Append(check.Name).Append(" failed: reason withheld\n");
            }
        }

        if (excluded.Count > 0)
        {
            output.Append("warn: some health checks cannot be excluded: no matches for ").AppendJoin(',', excluded.Order(StringComparer.Ordinal).Select(e => $"\"{e}\"")).Append('\n');
        }

        if (failed)
        {
            await WriteAsync(context, 500, $"{output}{endpoint} check failed\n");
        }
        else if (context.Request.Query.ContainsKey("verbose"))
        {
            await WriteAsync(context, 200, $"{output}{endpoint} check passed\n");
        }
        else
        {
            await WriteAsync(context, 200, "ok");
        }
    }

    private static async Task<string?> StoreHealthyAsync(IStore store, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StoreTimeout);
        try
        {
            await store.GetCurrentRevisionAsync(timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "context deadline exceeded";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the backend throws (unavailable, closed, a transport error), the store cannot serve.
            return e.Message;
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}
