using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// The API server's client for admission webhooks (apiserver's webhook ClientManager): HTTPS only, the server
/// certificate trusted through the webhook's <c>caBundle</c> alone (the system roots when it has none), no redirects,
/// the webhook's timeout, and an answer of bounded size. A <c>service</c> is called as
/// <c>https://&lt;name&gt;.&lt;namespace&gt;.svc:&lt;port&gt;&lt;path&gt;</c> — the name TLS checks — on an address of
/// its endpoints; a <c>url</c> as written.
/// </summary>
internal sealed class WebhookClient(ServiceResolver services) : IDisposable
{
    /// <summary>The largest answer read; a bigger one fails the call rather than the server's memory.</summary>
    public const int MaxResponseBytes = 3 * 1024 * 1024;

    private static readonly HttpRequestOptionsKey<IPEndPoint> Endpoint = new("navarch.webhook.endpoint");

    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _clients = new(StringComparer.Ordinal);

    /// <summary>Posts <paramref name="review"/> to <paramref name="webhook"/> and returns its answer's bytes; a failure is a <see cref="WebhookCallException"/>.</summary>
    public async Task<byte[]> PostAsync(Webhook webhook, JsonObject review, CancellationToken cancellationToken)
    {
        try
        {
            return await PostAsync(WebhookTarget.From(webhook.ClientConfig), webhook.TimeoutSeconds, review, cancellationToken);
        }
        catch (WebhookPostException e)
        {
            throw new WebhookCallException(webhook.Name, "failed to call webhook: " + e.Message, e.InnerException);
        }
    }

    /// <summary>
    /// Posts <paramref name="body"/> to <paramref name="target"/> within <paramref name="timeoutSeconds"/> and returns the
    /// answer's bytes; a failure is a <see cref="WebhookPostException"/> saying what went wrong as Go's client does
    /// (<c>Post "url": connect: connection refused</c>).
    /// </summary>
    public async Task<byte[]> PostAsync(WebhookTarget target, int timeoutSeconds, JsonObject body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        Uri uri = Target(target, timeoutSeconds);
        string post = $"Post \"{uri}\"";
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(AdmissionReview.Encode(body)) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (target.Service is { } service)
            {
                message.Options.Set(Endpoint, await services.ResolveAsync(service.Namespace, service.Name, service.Port ?? 443, timeout.Token));
            }

            using HttpResponseMessage response = await Client(target.CaBundle).SendAsync(message, timeout.Token);
            byte[] answer = await ReadBoundedAsync(response.Content, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new WebhookPostException($"the server responded with the status code {(int)response.StatusCode} but did not return more information");
            }

            return answer;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new WebhookPostException($"{post}: context deadline exceeded");
        }
        catch (InvalidOperationException e)
        {
            // The Service has no usable endpoint.
            throw new WebhookPostException($"{post}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new WebhookPostException($"{post}: {Reason(e)}", e);
        }
    }

    /// <summary>The URL called, with the <c>timeout</c> query parameter Kubernetes' REST client adds.</summary>
    private static Uri Target(WebhookTarget target, int timeoutSeconds)
    {
        string timeout = "timeout=" + timeoutSeconds.ToString(CultureInfo.InvariantCulture) + "s";
        if (target.Service is { } service)
        {
            string path = string.IsNullOrEmpty(service.Path) ? "/" : service.Path;
            int port = service.Port ?? 443;
            return new Uri($"https://{service.Name}.{service.Namespace}.svc:{port.ToString(CultureInfo.InvariantCulture)}{path}?{timeout}");
        }

        return new Uri(target.Url + "?" + timeout);
    }

    private static string Reason(HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connect: connection refused",
        System.Security.Authentication.AuthenticationException => "tls: failed to verify certificate: x509: certificate signed by unknown authority",
        { } inner => inner.Message,
        null => e.Message,
    };

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new HttpRequestException($"response body larger than the maximum allowed size: {MaxResponseBytes} bytes");
        }

        await using Stream stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                throw new HttpRequestException($"response body larger than the maximum allowed size: {MaxResponseBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>One pooled client per CA bundle (webhooks sharing a CA share connections).</summary>
    private HttpMessageInvoker Client(byte[]? caBundle)
    {
        string key = caBundle is { Length: > 0 } ? Convert.ToHexString(SHA256.HashData(caBundle)) : "";
        return _clients.GetOrAdd(key, _ =>
        {
            X509Certificate2Collection? roots = null;
            if (caBundle is { Length: > 0 })
            {
                roots = [];
                roots.ImportFromPem(System.Text.Encoding.ASCII.GetString(caBundle));
            }

            var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromSeconds(30),
                ConnectCallback = ConnectAsync,
                SslOptions = new SslClientAuthenticationOptions
                {
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, roots),
                },
            };
            return new HttpMessageInvoker(handler);
        });
    }

    /// <summary>With a caBundle, the server's certificate must chain to it (offline) and name the host; without, the system's verdict.</summary>
    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (roots is null)
        {
            return errors == SslPolicyErrors.None;
        }

        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy = Api.Certificates.CertificateChains.Offline();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>Connects to the Service's endpoint resolved for this request, or to the URL's host.</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (context.InitialRequestMessage.Options.TryGetValue(Endpoint, out IPEndPoint? endpoint))
            {
                await socket.ConnectAsync(endpoint, cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (HttpMessageInvoker client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
