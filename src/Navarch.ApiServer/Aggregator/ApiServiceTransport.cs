using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Pki;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// The HTTPS connections to extension API servers: the front-proxy client certificate, and the server trusted as
/// <c>&lt;service&gt;.&lt;namespace&gt;.svc</c> signed by the APIService's <c>caBundle</c> — or not checked at all with
/// <c>insecureSkipTLSVerify</c>. One pooled handler per trust (service name and bundle), reused by the proxy and the
/// availability checks; connecting is bounded.
/// </summary>
internal sealed class ApiServiceTransport(FrontProxyPki frontProxy) : IDisposable
{
    /// <summary>How long reaching an extension server may take before the proxy answers 503.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private static readonly HttpRequestOptionsKey<IReadOnlyList<KeyValuePair<string, string>>> Identity = new("navarch.aggregator.identity");

    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _invokers = new(StringComparer.Ordinal);

    /// <summary>The client certificate the API server presents.</summary>
    public FrontProxyPki FrontProxy => frontProxy;

    /// <summary>The invoker trusting what <paramref name="apiService"/> says to trust.</summary>
    public HttpMessageInvoker For(V1APIService apiService)
    {
        V1APIServiceSpec spec = apiService.Spec;
        string serverName = $"{spec.Service.Name}.{spec.Service.NamespaceProperty}.svc";
        bool insecure = spec.InsecureSkipTLSVerify == true;
        byte[] bundle = spec.CaBundle ?? [];
        string key = $"{insecure}|{serverName}|{Convert.ToHexString(SHA256.HashData(bundle))}";
        if (_invokers.Count > 256)
        {
            // Trusts change rarely; a long-running server that saw many just starts over.
            Clear();
        }

        return _invokers.GetOrAdd(key, _ => Create(serverName, insecure, bundle));
    }

    public void Dispose() => Clear();

    private void Clear()
    {
        foreach (string key in _invokers.Keys)
        {
            if (_invokers.TryRemove(key, out HttpMessageInvoker? invoker))
            {
                invoker.Dispose();
            }
        }
    }

    private HttpMessageInvoker Create(string serverName, bool insecure, byte[] bundle)
    {
        var roots = new X509Certificate2Collection();
        if (bundle.Length > 0)
        {
            roots.ImportFromPem(Encoding.ASCII.GetString(bundle));
        }

        // TLS is done here rather than by the handler, beneath the stream that writes the caller's identity into the
        // request head: the handler speaks plain HTTP/1.1 to http://ip:port (see Destination), one request a connection.
        return new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = ConnectTimeout,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    await tls.AuthenticateAsClientAsync(
                        new SslClientAuthenticationOptions
                        {
                            TargetHost = serverName,
                            ApplicationProtocols = [SslApplicationProtocol.Http11],
                            LocalCertificateSelectionCallback = (_, _, _, _, _) => frontProxy.Client,
                            CertificateChainPolicy = CertificateChains.Offline(),
                            RemoteCertificateValidationCallback = (_, cert, _, _) => insecure || Trusted(cert, roots, serverName),
                        },
                        cancellationToken);
                    return context.InitialRequestMessage.Options.TryGetValue(Identity, out IReadOnlyList<KeyValuePair<string, string>>? identity)
                        ? new RemoteIdentityStream(tls, identity)
                        : tls;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        });
    }

    /// <summary>The URL the handler is given for <paramref name="endpoint"/> (https://ip:port): the same host and port over http, TLS being the connect callback's.</summary>
    public static Uri Destination(Uri endpoint) => new UriBuilder(endpoint) { Scheme = Uri.UriSchemeHttp }.Uri;

    /// <summary>Marks <paramref name="request"/> as made for <paramref name="identity"/> (the X-Remote-* lines) on a connection of its own.</summary>
    public static void SetIdentity(HttpRequestMessage request, IReadOnlyList<KeyValuePair<string, string>> identity)
    {
        request.Options.Set(Identity, identity);
        request.Headers.ConnectionClose = true;
    }

    private static bool Trusted(X509Certificate? presented, X509Certificate2Collection roots, string serverName) =>
        presented is X509Certificate2 cert
        && cert.MatchesHostname(serverName)
        && roots.Any(root => CertificateChains.Verify(cert, root, CertificateChains.ServerAuth));
}
