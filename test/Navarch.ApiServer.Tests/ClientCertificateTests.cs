using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.Api.Certificates;

namespace Navarch.ApiServer.Tests;

/// <summary>
/// Client certificates as Kubernetes' x509 authenticator takes them: chained to the cluster CA, offline, and issued
/// for client authentication. The server never fetches what a certificate points at (issue 16: a certificate from an
/// unknown CA made the server fetch its AIA caIssuers URL before authenticating anyone).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClientCertificateTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_certificate_from_an_unknown_ca_is_refused_without_fetching_its_urls()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        using X509Certificate2 intruder = IssueFromUnknownCa(url);

        for (int i = 0; i < 3; i++)
        {
            using HttpClient http = ClientWith(intruder);
            using HttpResponseMessage response = await http.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // A fetch would have connected by now (the refusal above came after any chain was built).
        await Task.Delay(500);
        Assert.False(listener.Pending(), "the server connected to a URL taken from a client certificate");
    }

    [Fact]
    public async Task A_cluster_ca_certificate_without_client_auth_is_not_a_client_certificate()
    {
        using X509Certificate2 serving = fixture.Server.Pki.IssueServing("system:admin-lookalike", ["lookalike"], []);
        using HttpClient serverOnly = ClientWith(serving);
        Assert.Equal(HttpStatusCode.Unauthorized, (await serverOnly.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative))).StatusCode);

        using X509Certificate2 client = fixture.Server.Pki.IssueClient("someone", "system:masters");
        Assert.Contains(client.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == CertificateChains.ClientAuth);
        using HttpClient proper = ClientWith(client);
        Assert.Equal(HttpStatusCode.OK, (await proper.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public void Navarch_issues_its_own_client_certificates_for_client_auth()
    {
        foreach (X509Certificate2 certificate in new[] { fixture.Server.Pki.Admin, fixture.Server.Pki.KubeletClient })
        {
            Assert.True(fixture.Server.Pki.IsClientCertificate(certificate), certificate.Subject);
        }
    }

    private HttpClient ClientWith(X509Certificate2 certificate)
    {
        ApiServer server = fixture.Server;
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && server.Pki.IsSignedByCa(c),
                // Offered whatever CAs the server names, and offline: only the server could fetch the certificate's URLs.
                ClientCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.Port}") };
    }

    /// <summary>A client certificate for system:masters from a CA nobody trusts, with AIA (caIssuers, OCSP) and CRL URLs under <paramref name="url"/>.</summary>
    private static X509Certificate2 IssueFromUnknownCa(string url)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=unknown-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=intruder, O=system:masters", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CertificateChains.ClientAuth)], false));
        request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([url + "/ocsp"], [url + "/ca.crt"]));
        request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([url + "/ca.crl"]));
        using X509Certificate2 leaf = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3, 4]);
        return leaf.CopyWithPrivateKey(key);
    }
}
