using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Navarch.Api.Certificates;
using Navarch.Client.Delegation;
using Navarch.Client.Informers;
using Navarch.Kubelet.Metrics;
using Navarch.Kubelet.Probes;
using Navarch.Kubelet.Runtime;
using Yarp.ReverseProxy.Forwarder;

namespace Navarch.Kubelet.Server;

/// <summary>
/// The kubelet's HTTPS API on <see cref="KubeletOptions.KubeletPort"/>: <c>/healthz</c>, <c>/pods</c>,
/// <c>/containerLogs/{ns}/{pod}/{container}</c>, <c>/stats/summary</c>, <c>/metrics</c>, <c>/metrics/cadvisor</c>, <c>/metrics/probes</c>, <c>/metrics/resource</c>, and <c>/exec</c>, <c>/attach</c>,
/// <c>/portForward</c>, whose streams are passed through to the runtime's streaming server. Clients with a
/// certificate from <see cref="KubeletOptions.ClientCa"/> (through the intermediates it sent) or with a bearer token are
/// authorized through the API server (<see cref="KubeletAuth"/>; without an API client only the certificate users in
/// <see cref="KubeletOptions.AuthorizedClients"/> are served). No credentials, or a rejected token, → 401; a request its
/// user may not make → 403.
/// </summary>
public sealed partial class KubeletServer : IAsyncDisposable
{
    private readonly KubeletOptions _options;
    private readonly PodRuntimeLookup _runtime;
    private readonly IRuntimeService _runtimeService;
    private readonly Indexer<V1Pod> _pods;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly KubeletMetrics _metrics;
    private readonly ProberMetrics _probeMetrics;
    private readonly Stats.NodeUsageReader _nodeUsage;
    private const string Organization = "2.5.4.10";

    private Stats.MachineInfo? _machine;
    private readonly KubeletAuth? _auth;

    // The certificates each client sent after its own, kept with the certificate for as long as its connection holds
    // it: during a CA rotation the API server's certificate chains to the CA this kubelet trusts only through them.
    private readonly ConditionalWeakTable<X509Certificate2, X509Certificate2[]> _peerIntermediates = [];
    private WebApplication? _app;
    private RuntimeStreamProxy? _streams;

    /// <summary>
    /// Creates the server over the <paramref name="runtime"/> and this node's <paramref name="pods"/>, serving the kubelet's
    /// <paramref name="metrics"/> and <paramref name="probeMetrics"/>; with <paramref name="client"/>, bearer tokens are
    /// reviewed by its API server.
    /// </summary>
    internal KubeletServer(KubeletOptions options, IRuntimeService runtime, Indexer<V1Pod> pods, ILoggerFactory loggers, TimeProvider? time = null, KubeletMetrics? metrics = null, ProberMetrics? probeMetrics = null, IKubernetes? client = null)
    {
        _auth = client is null ? null : new KubeletAuth(client, options.NodeName, time ?? TimeProvider.System);
        _metrics = metrics ?? new KubeletMetrics(runtime);
        _probeMetrics = probeMetrics ?? new ProberMetrics();
        _options = options;
        _runtimeService = runtime;
        _runtime = new PodRuntimeLookup(runtime);
        _pods = pods;
        _loggers = loggers;
        _logger = loggers.CreateLogger<KubeletServer>();
        _time = time ?? TimeProvider.System;
        _nodeUsage = new Stats.NodeUsageReader(_time);
    }

    /// <summary>
    /// Throws an <see cref="IOException"/> naming the address when another process listens on the kubelet's port, so
    /// that the agent stops before it starts anything (as the kubelet's own listener would end it).
    /// </summary>
    public static void EnsurePortFree(KubeletOptions options)
    {
        using var probe = new Socket(options.KubeletBindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(options.KubeletBindAddress, options.KubeletPort));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new IOException($"cannot listen on {options.KubeletBindAddress}:{options.KubeletPort} for the kubelet API: address already in use (another kubelet? choose another --port)", e);
        }
    }

    /// <summary>Starts listening.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        X509Certificate2 serving = _options.ServingCertificate ?? SelfSigned(_options.NodeName);
        if (_options.ClientCa is null)
        {
            LogNoClientCa(_logger);
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(_options.KubeletBindAddress, _options.KubeletPort, listen =>
        {
            // Streaming upgrades (SPDY, WebSocket) are HTTP/1.1.
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificateSelector = (_, _) => _options.CurrentServingCertificate?.Invoke() ?? serving,
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                // The chain is checked against the client CA per request (so a refusal is an HTTP status, not a TLS alert);
                // the handshake's own chain is built offline, never fetching a client certificate's AIA or CRL URLs.
                ClientCertificateValidation = (certificate, chain, _) =>
                {
                    // Copies: the handshake disposes its chain's certificates.
                    _peerIntermediates.AddOrUpdate(certificate, [.. (chain?.ChainPolicy.ExtraStore ?? []).Where(c => c.Thumbprint != certificate.Thumbprint).Select(c => X509CertificateLoader.LoadCertificate(c.RawData))]);
                    return true;
                },
                CheckCertificateRevocation = false,
                OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = CertificateChains.Offline(),
            });
        }));
        builder.Services.AddHttpForwarder();
        _app = builder.Build();
        _streams = new RuntimeStreamProxy(_app.Services.GetRequiredService<IHttpForwarder>());
        // WebSocket accepts for the streams translated here (StreamTranslator); other upgrades pass through YARP.
        _app.UseWebSockets();
        _app.Run(InvokeAsync);
        try
        {
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
            throw;
        }

        LogListening(_logger, _options.KubeletBindAddress, _options.KubeletPort);
    }

    /// <summary>Stops listening; open streams are cut.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _streams?.Dispose();
    }

    private async Task InvokeAsync(HttpContext context)
    {
        if (!await AuthorizedAsync(context).ConfigureAwait(false))
        {
            return;
        }

        string[] parts = context.Request.Path.Value?.Trim('/').Split('/') ?? [];
        try
        {
            switch (parts)
            {
                case ["healthz"]:
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync("ok", context.RequestAborted).ConfigureAwait(false);
                    return;
                case ["pods"]:
                    await WriteJsonAsync(context, new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta(), Items = [.. _pods.List()] }).ConfigureAwait(false);
                    return;
                case ["metrics"]:
                    await WriteMetricsAsync(context, _metrics.Registry).ConfigureAwait(false);
                    return;
                case ["metrics", "probes"]:
                    await WriteMetricsAsync(context, _probeMetrics.Registry).ConfigureAwait(false);
                    return;
                case ["metrics", "cadvisor"]:
                    context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await context.Response.WriteAsync(await CadvisorMetricsAsync(context.RequestAborted).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
                    return;
                case ["metrics", "resource"]:
                    context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await context.Response.WriteAsync(await ResourceMetricsAsync(context.RequestAborted).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
                    return;
                case ["stats", "summary"]:
                    await WriteJsonAsync(context, await SummaryAsync(context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
                    return;
                case ["containerLogs", var ns, var pod, var container]:
                    await ContainerLogsAsync(context, ns, pod, container).ConfigureAwait(false);
                    return;
                case ["exec", var ns, var pod, var container]:
                    await ExecAsync(context, ns, pod, container).ConfigureAwait(false);
                    return;
                case ["attach", var ns, var pod, var container]:
                    await AttachAsync(context, ns, pod, container).ConfigureAwait(false);
                    return;
                case ["portForward", var ns, var pod]:
                    await PortForwardAsync(context, ns, pod).ConfigureAwait(false);
                    return;
                default:
                    await WriteStatusAsync(context, HttpStatusCode.NotFound, "NotFound", $"the path {context.Request.Path} is not served by the kubelet").ConfigureAwait(false);
                    return;
            }
        }
        catch (KubeletRequestException e) when (!context.Response.HasStarted)
        {
            await WriteStatusAsync(context, e.Code, e.Reason, e.Message).ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException e) when (!context.Response.HasStarted)
        {
            LogRuntimeError(_logger, context.Request.Path, e.Status.Detail);
            await WriteStatusAsync(context, HttpStatusCode.InternalServerError, "InternalError", $"container runtime: {e.Status.Detail}").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (e.g. logs -f interrupted).
        }
    }

    /// <summary>
    /// Whether the request may go on; when not, its 401 or 403 has been written. As the kubelet's x509 and webhook
    /// authenticators: a certificate's user is its common name with its organizations as groups, a token's user is the
    /// TokenReview's; either is authorized with a SubjectAccessReview (the API server's own kubelet client, in
    /// <c>system:masters</c>, passes it like any other). Without an API client the certificate users named in
    /// <see cref="KubeletOptions.AuthorizedClients"/> are the only ones served.
    /// </summary>
    private async Task<bool> AuthorizedAsync(HttpContext context)
    {
        V1UserInfo? user = CertificateUser(context.Connection.ClientCertificate);
        if (_auth is null)
        {
            if (user is not null && _options.AuthorizedClients.Contains(user.Username, StringComparer.Ordinal))
            {
                return true;
            }

            await (user is null
                ? WriteStatusAsync(context, HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized")
                : WriteForbiddenAsync(context, user.Username, KubeletAuth.Attributes(_options.NodeName, context.Request.Method, context.Request.Path.Value ?? "/"))).ConfigureAwait(false);
            return false;
        }

        try
        {
            if (user is null)
            {
                if (DelegatingAuthenticator.BearerToken(context.Request.Headers.Authorization.ToString()) is not { } token
                    || await _auth.AuthenticateAsync(token, context.RequestAborted).ConfigureAwait(false) is not { } tokenUser)
                {
                    await WriteStatusAsync(context, HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized").ConfigureAwait(false);
                    return false;
                }

                user = tokenUser;
            }

            (bool allowed, V1ResourceAttributes attributes) = await _auth.AuthorizeAsync(user, context.Request.Method, context.Request.Path.Value ?? "/", context.RequestAborted).ConfigureAwait(false);
            if (!allowed)
            {
                await WriteForbiddenAsync(context, user.Username, attributes).ConfigureAwait(false);
            }

            return allowed;
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            // The API server could not be asked: nothing is served unchecked.
            LogReviewFailed(_logger, e.Message);
            await WriteStatusAsync(context, HttpStatusCode.InternalServerError, "InternalError", "Authorization error").ConfigureAwait(false);
            return false;
        }
    }

    private static Task WriteForbiddenAsync(HttpContext context, string user, V1ResourceAttributes attributes) =>
        WriteStatusAsync(context, HttpStatusCode.Forbidden, "Forbidden", $"Forbidden (user={user}, verb={attributes.Verb}, resource={attributes.Resource}, subresource={attributes.Subresource})");

    /// <summary>The user a client certificate chaining to the client CA names (common name; organizations and system:authenticated as groups), or null.</summary>
    private V1UserInfo? CertificateUser(X509Certificate2? certificate)
    {
        if (certificate is null || _options.ClientCa is null)
        {
            return null;
        }

        if (!CertificateChains.Verify(certificate, [_options.ClientCa], CertificateChains.ClientAuth, intermediates: _peerIntermediates.TryGetValue(certificate, out X509Certificate2[]? sent) ? sent : null))
        {
            return null;
        }

        return new V1UserInfo
        {
            Username = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false),
            // As the delegating authenticator's group adder: every authenticated user is in system:authenticated.
            Groups = [.. certificate.SubjectName.All(Organization), "system:authenticated"],
        };
    }

    /// <summary>The pod of this node named <paramref name="ns"/>/<paramref name="name"/>, or a 404.</summary>
    private V1Pod FindPod(string ns, string name) =>
        _pods.Get($"{ns}/{name}") ?? throw new KubeletRequestException(HttpStatusCode.NotFound, "NotFound", $"pod \"{name}\" not found on this node");

    private static Task WriteJsonAsync(HttpContext context, object value)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(KubernetesJson.Serialize(value), context.RequestAborted);
    }

    /// <summary>The Prometheus text exposition format (version 0.0.4), as the kubelet's metrics handlers write it.</summary>
    private static async Task WriteMetricsAsync(HttpContext context, Prometheus.CollectorRegistry registry)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteStatusAsync(HttpContext context, HttpStatusCode code, string reason, string message)
    {
        context.Response.StatusCode = (int)code;
        // Written by hand: the client library's V1Status converter only reads.
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(
            System.Text.Json.JsonSerializer.Serialize(new { kind = "Status", apiVersion = "v1", metadata = new { }, status = "Failure", message, reason, code = (int)code }),
            context.RequestAborted);
    }

    /// <summary>A self-signed serving certificate, as the kubelet makes when it is given none.</summary>
    private static X509Certificate2 SelfSigned(string nodeName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={nodeName}@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName(nodeName);
        sans.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(sans.Build());
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kubelet API listening on {Address}:{Port}")]
    private static partial void LogListening(ILogger logger, IPAddress address, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kubelet API: the API server could not review a bearer token or request: {Reason}")]
    private static partial void LogReviewFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No client CA for the kubelet API: every request will be refused")]
    private static partial void LogNoClientCa(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kubelet API {Path}: the translated stream failed")]
    private static partial void LogStreamFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kubelet API {Path}: the runtime's stats could not be read: {Reason}")]
    private static partial void LogStatsFailed(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kubelet API {Path}: container runtime error {Detail}")]
    private static partial void LogRuntimeError(ILogger logger, string path, string detail);
}
