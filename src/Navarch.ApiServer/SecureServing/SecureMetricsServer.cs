using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Navarch.Client.Delegation;
using Prometheus;

namespace Navarch.ApiServer.SecureServing;

/// <summary>
/// The secure port of kube-scheduler (10259) and kube-controller-manager (10257): HTTPS with a self-signed serving
/// certificate (as they make one when given no --tls-cert-file), <c>/metrics</c> from the component's registry, and
/// <c>/healthz</c>, <c>/livez</c>, <c>/readyz</c>. Authentication and authorization are delegated to the API server as
/// theirs are: a bearer token is checked with a TokenReview (an invalid one is a 401), no token is
/// <c>system:anonymous</c>, and every path but the health ones (their --authorization-always-allow-paths) needs a
/// SubjectAccessReview allowing <c>get</c> on it (else 403).
/// </summary>
public sealed partial class SecureMetricsServer : IAsyncDisposable
{
    private static readonly HashSet<string> AlwaysAllowed = new(StringComparer.Ordinal) { "/healthz", "/readyz", "/livez" };

    private readonly DelegatingAuthenticator _authenticator;

    private readonly DelegatingAuthorizer _authorizer;

    private readonly CollectorRegistry _registry;

    private readonly ILogger _logger;

    private WebApplication? _app;

    private SecureMetricsServer(IKubernetes client, CollectorRegistry registry, ILogger logger)
    {
        // Every request is reviewed afresh (no cache), so a binding granted or removed counts at once.
        _authenticator = new DelegatingAuthenticator(client, TimeSpan.Zero);
        _authorizer = new DelegatingAuthorizer(client, TimeSpan.Zero, TimeSpan.Zero);
        _registry = registry;
        _logger = logger;
    }

    /// <summary>The port it listens on (the one asked for, or the one picked for 0).</summary>
    public int Port { get; private set; }

    /// <summary>The self-signed serving certificate (tests trust exactly it).</summary>
    public X509Certificate2 Certificate { get; private set; } = null!;

    /// <summary>Starts serving <paramref name="registry"/> on <paramref name="bind"/>:<paramref name="port"/> for <paramref name="component"/>.</summary>
    public static async Task<SecureMetricsServer> StartAsync(string component, IPAddress bind, int port, IKubernetes client, CollectorRegistry registry, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        var server = new SecureMetricsServer(client, registry, loggers.CreateLogger<SecureMetricsServer>());
        server.Certificate = SelfSigned(component);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(bind, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(server.Certificate);
        }));
        WebApplication app = server._app = builder.Build();
        app.Run(server.ServeAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        server.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        LogServing(server._logger, component, server.Port);
        return server;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }

        Certificate?.Dispose();
    }

    private async Task ServeAsync(HttpContext context)
    {
        try
        {
            await ServeCheckedAsync(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not OutOfMemoryException)
        {
            // The API server could not be asked (it is down, or refused the review): nothing is served unchecked.
            LogReviewFailed(_logger, e.Message);
            if (!context.Response.HasStarted)
            {
                await WriteStatusAsync(context, 500, "InternalError", e.Message).ConfigureAwait(false);
            }
        }
    }

    private async Task ServeCheckedAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        if (AlwaysAllowed.Contains(path))
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("ok", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        V1UserInfo? user = await AuthenticateAsync(context).ConfigureAwait(false);
        if (user is null)
        {
            await WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized").ConfigureAwait(false);
            return;
        }

        string verb = context.Request.Method.ToLowerInvariant();
        if (!await _authorizer.AllowedAsync(user, null, new V1NonResourceAttributes { Path = path, Verb = verb }, context.RequestAborted).ConfigureAwait(false))
        {
            await WriteStatusAsync(context, 403, "Forbidden", $"forbidden: User \"{user.Username}\" cannot {verb} path \"{path}\"").ConfigureAwait(false);
            return;
        }

        if (path == "/metrics" && verb == "get")
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await _registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 404;
        await context.Response.WriteAsync("404 page not found\n", context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The user a bearer token belongs to (TokenReview), anonymous without one, null for a token the API server rejects.</summary>
    private async Task<V1UserInfo?> AuthenticateAsync(HttpContext context) =>
        DelegatingAuthenticator.BearerToken(context.Request.Headers.Authorization.ToString()) is { } token
            ? await _authenticator.AuthenticateAsync(token, context.RequestAborted).ConfigureAwait(false)
            : DelegatingAuthenticator.Anonymous;

    private static async Task WriteStatusAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            new System.Text.Json.Nodes.JsonObject
            {
                ["kind"] = "Status",
                ["apiVersion"] = "v1",
                ["metadata"] = new System.Text.Json.Nodes.JsonObject(),
                ["status"] = "Failure",
                ["message"] = message,
                ["reason"] = reason,
                ["code"] = code,
            }.ToJsonString(),
            context.RequestAborted).ConfigureAwait(false);
    }

    private static X509Certificate2 SelfSigned(string component)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={component}@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using X509Certificate2 made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        // Kestrel on Linux needs the key in an exportable form it can load.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delegated authentication or authorization failed: {Reason}")]
    private static partial void LogReviewFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Component} serving /metrics securely on port {Port}")]
    private static partial void LogServing(ILogger logger, string component, int port);
}
