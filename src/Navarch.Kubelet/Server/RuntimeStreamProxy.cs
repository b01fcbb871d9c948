using System.Net;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Navarch.Kubelet.Server;

/// <summary>
/// Passes an exec, attach or port-forward request through to the URL the runtime's streaming server handed out (the
/// kubelet's redirect-free proxy mode): the client's upgrade (SPDY/3.1, or WebSocket with the channel protocols the
/// runtime speaks) is negotiated with the runtime itself, and a refused upgrade reaches the client as the runtime's
/// non-101 answer, which clients such as kubectl take as the cue to fall back to SPDY.
/// </summary>
internal sealed class RuntimeStreamProxy(IHttpForwarder forwarder) : IDisposable
{
    private static readonly ForwarderRequestConfig Http11 = new() { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = TimeSpan.FromHours(4) };

    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    });

    /// <summary>Forwards the request to <paramref name="url"/>; throws when the runtime cannot be reached.</summary>
    public async Task ForwardAsync(HttpContext context, Uri url)
    {
        ForwarderError error = await forwarder.SendAsync(context, url.GetLeftPart(UriPartial.Authority), _invoker, Http11, new Transformer(url)).ConfigureAwait(false);
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            Exception? cause = context.GetForwarderErrorFeature()?.Exception;
            throw new KubeletRequestException(HttpStatusCode.BadGateway, "InternalError", $"error reaching the runtime's streaming server: {cause?.Message ?? error.ToString()}");
        }
    }

    public void Dispose() => _invoker.Dispose();

    /// <summary>Sends the request to the runtime's URL (keeping the client's query) without the client's credentials.</summary>
    private sealed class Transformer(Uri url) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
            proxyRequest.RequestUri = new Uri(url.GetLeftPart(UriPartial.Path) + httpContext.Request.QueryString.Value);
            proxyRequest.Headers.Authorization = null;
        }
    }
}
