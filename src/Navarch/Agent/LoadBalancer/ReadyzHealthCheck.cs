using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Navarch.Api.Certificates;

namespace Navarch.Agent.LoadBalancer;

/// <summary>
/// The load balancer's health check once the agent knows the cluster CA (k3s checks each server over HTTP too): a
/// server is healthy when its <c>/readyz</c> answers 200 over TLS that chains to the cluster CA — so a server that is
/// up but not ready (no etcd quorum, still starting) is skipped, not only one that is gone. <c>/readyz</c> is public
/// (<c>system:public-info-viewer</c>), so no credential is sent. The connections are pooled, one per server, so checking
/// each second opens none.
/// </summary>
internal sealed class ReadyzHealthCheck : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>Trusts the CAs in the PEM bundle <paramref name="caFile"/> (the agent's <c>server-ca.crt</c>).</summary>
    public ReadyzHealthCheck(string caFile, TimeSpan? timeout = null)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        X509Certificate2[] trusted = [.. roots];

        // Learned servers are dialled by the address the endpoints give, which their certificate may not name: the
        // chain to the cluster CA is what says it is one of the cluster's servers.
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions =
            {
                CertificateChainPolicy = CertificateChains.Offline(),
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is X509Certificate2 served
                    && (errors & ~(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch)) == SslPolicyErrors.None
                    && CertificateChains.Verify(served, trusted, CertificateChains.ServerAuth),
            },
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = timeout ?? TimeSpan.FromSeconds(2) };
    }

    /// <summary>Whether the server at <paramref name="address"/> (<c>host:port</c>) answers <c>/readyz</c> with 200.</summary>
    public async Task<bool> CheckAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri($"https://{address}/readyz"), cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
