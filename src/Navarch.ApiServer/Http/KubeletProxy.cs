using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Pki;
using Yarp.ReverseProxy.Forwarder;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Passes pods/log, exec, attach and portforward through to the pod's kubelet, upgrades included (WebSocket, and
/// SPDY over HTTP/1.1 Upgrade), with the API server's own client certificate — the only client kubelets accept — and
/// its chain.
/// The forwarding itself is YARP's.
/// </summary>
internal sealed class KubeletProxy : IDisposable
{
    // Kubelets speak streaming upgrades (WebSocket, SPDY) over HTTP/1.1 only. A quiet `logs -f` or an idle `exec -it`
    // must outlive YARP's 100 s default idle limit; 4 h is the runtime streaming server's own idle timeout.
    private static readonly ForwarderRequestConfig Http11 = new() { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = TimeSpan.FromHours(4) };

    private readonly IHttpForwarder _forwarder;
    private readonly ClusterPki _pki;
    private readonly Lock _lock = new();
    private SslStreamCertificateContext? _context;
    private HttpMessageInvoker? _invoker;

    public KubeletProxy(IHttpForwarder forwarder, ClusterPki pki)
    {
        _forwarder = forwarder;
        _pki = pki;
    }

    /// <summary>Forwards the request to <paramref name="kubelet"/> (https://host:port) at <paramref name="pathAndQuery"/>.</summary>
    public async Task ForwardAsync(HttpContext context, string kubelet, string pathAndQuery)
    {
        ForwarderError error = await _forwarder.SendAsync(context, kubelet, Invoker(), Http11, new Transformer(pathAndQuery));
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            Exception? cause = context.GetForwarderErrorFeature()?.Exception;
            throw ApiErrors.Unavailable($"error trying to reach the kubelet at {kubelet}: {cause?.Message ?? error.ToString()}");
        }
    }

    /// <summary>GETs <paramref name="pathAndQuery"/> from <paramref name="kubelet"/> (https://host:port) as the API server, for its own use (the resource metrics scraper).</summary>
    public async Task<byte[]> GetAsync(string kubelet, string pathAndQuery, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, kubelet + pathAndQuery) { Version = HttpVersion.Version11 };
        using HttpResponseMessage response = await Invoker().SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _invoker?.Dispose();
        }
    }

    /// <summary>
    /// The client for the current kubelet client certificate: its chain (the cross-signed CA during a CA rotation) goes
    /// with it, which a handler fixes when it starts, so a renewal gets a new handler. The previous one is left to finish
    /// its streams (a renewal is rare; its idle connections close on their own).
    /// </summary>
    private HttpMessageInvoker Invoker()
    {
        SslStreamCertificateContext current = _pki.KubeletClientContext;
        lock (_lock)
        {
            if (_invoker is null || !ReferenceEquals(current, _context))
            {
                _context = current;
                _invoker = new HttpMessageInvoker(new SocketsHttpHandler
                {
                    UseProxy = false,
                    AllowAutoRedirect = false,
                    AutomaticDecompression = DecompressionMethods.None,
                    UseCookies = false,
                    ConnectTimeout = TimeSpan.FromSeconds(15),
                    SslOptions =
                    {
                        ClientCertificateContext = current,
                        CertificateChainPolicy = Api.Certificates.CertificateChains.Offline(),
                        RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && _pki.IsServingCertificate(c),
                    },
                });
            }

            return _invoker;
        }
    }

    /// <summary>Rewrites the URL to the kubelet's API and drops the client's own credentials.</summary>
    private sealed class Transformer(string pathAndQuery) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = new Uri(destinationPrefix.TrimEnd('/') + pathAndQuery);
            proxyRequest.Headers.Authorization = null;
        }
    }
}
