using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.ApiServer.Pki;
using Navarch.Storage;
using Navarch.Storage.Sqlite;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Pki;

/// <summary>
/// A running API server on a fake clock renews its serving and admin certificates once they are within 90 days of
/// expiry, without a restart: the next TLS handshake presents the new serving certificate, the admin kubeconfig is
/// rewritten, and its new certificate is accepted.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CertificateRenewalTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-renewal-");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private IStore _store = null!;
    private ApiServer _server = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir.FullName, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
        _server = new ApiServer(_store, new ApiServerOptions { DataDir = _dir.FullName, Port = 0, BindAddress = IPAddress.Loopback, AuthorizationMode = "RBAC", Time = _time }, NullLoggerFactory.Instance);
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    /// <summary>The certificate the server presents in a new handshake (checked against the CA on the server's clock).</summary>
    private async Task<X509Certificate2> PresentedAsync()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _server.Port);
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            presented = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
            return presented is not null && _server.Pki.IsSignedByCa(presented);
        });
        await tls.AuthenticateAsClientAsync("localhost");
        return presented!;
    }

    [Fact]
    public async Task ServingAndAdminCertificatesAreRenewedWhileRunning()
    {
        X509Certificate2 before = await PresentedAsync();
        string kubeconfig = await File.ReadAllTextAsync(_server.AdminKubeconfigPath);

        _time.Advance(TimeSpan.FromDays(280));
        await Polling.Eventually(async () => (await PresentedAsync()).Thumbprint != before.Thumbprint, "the server presents a renewed serving certificate", interval: TimeSpan.FromMilliseconds(100));
        X509Certificate2 after = await PresentedAsync();
        Assert.Equal(_time.GetUtcNow() + CertificateLifetimes.Leaf, new DateTimeOffset(after.NotAfter.ToUniversalTime()), TimeSpan.FromMinutes(2));

        await Polling.Eventually(async () => await File.ReadAllTextAsync(_server.AdminKubeconfigPath) != kubeconfig, "the admin kubeconfig is rewritten");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && _server.Pki.IsSignedByCa(cert) };
        handler.ClientCertificates.Add(_server.Pki.Admin);
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{_server.Port}") };
        using HttpResponseMessage response = await http.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(_server.Pki.Admin.NotAfter > before.NotAfter);
    }
}
