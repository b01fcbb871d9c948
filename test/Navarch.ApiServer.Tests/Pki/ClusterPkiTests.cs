using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Join;
using Navarch.ApiServer.Pki;

namespace Navarch.ApiServer.Tests.Pki;

/// <summary>
/// The server's certificates on a fake clock: a ten-year CA, one-year leaves renewed at load when within 90 days of
/// expiry or expired, rotated files taken up by a running server's refresh, and every certificate saying what it is for.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ClusterPkiTests : IDisposable
{
    private static readonly IPAddress ServiceIp = IPAddress.Parse("10.43.0.1");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-pki-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Delete(recursive: true);

    private ClusterPki Load() => ClusterPki.LoadOrCreate(_dir.FullName, ServiceIp, _time);

    private static string[] Thumbprints(ClusterPki pki) => [pki.Serving.Thumbprint, pki.Admin.Thumbprint, pki.KubeletClient.Thumbprint];

    [Fact]
    public void EveryCertificateSaysWhatItIsFor()
    {
        ClusterPki pki = Load();
        DateTimeOffset now = _time.GetUtcNow();

        Assert.Equal(now + CertificateLifetimes.Ca, new DateTimeOffset(pki.Ca.NotAfter.ToUniversalTime()));
        Assert.True(CertificateLifetimes.IsCa(pki.Ca));
        foreach (X509Certificate2 client in new[] { pki.Admin, pki.KubeletClient, pki.IssueClient("u", "g") })
        {
            Assert.True(KeyUsages.Carries(client, KeyUsages.ClientAuthOid), client.Subject);
            Assert.False(KeyUsages.Carries(client, KeyUsages.ServerAuthOid), client.Subject);
            Assert.Equal(now + CertificateLifetimes.Leaf, new DateTimeOffset(client.NotAfter.ToUniversalTime()));
            Assert.True(pki.IsSignedByCa(client));
        }

        foreach (X509Certificate2 serving in new[] { pki.Serving, pki.IssueServing("n", ["n"], [IPAddress.Loopback]) })
        {
            Assert.True(KeyUsages.Carries(serving, KeyUsages.ServerAuthOid), serving.Subject);
            Assert.False(KeyUsages.Carries(serving, KeyUsages.ClientAuthOid), serving.Subject);
        }

        // What a joining agent is issued, too.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using X509Certificate2 kubelet = X509Certificate2.CreateFromPem(AgentCertificateSigner.Sign(pki.Ca, csr, AgentCertificateSigner.NodeSubject("n1"), "n1", serving: false, now));
        using X509Certificate2 kubeletServing = X509Certificate2.CreateFromPem(AgentCertificateSigner.Sign(pki.Ca, csr, AgentCertificateSigner.NodeSubject("n1"), "n1", serving: true, now));
        Assert.True(KeyUsages.Carries(kubelet, KeyUsages.ClientAuthOid) && !KeyUsages.Carries(kubelet, KeyUsages.ServerAuthOid));
        Assert.True(KeyUsages.Carries(kubeletServing, KeyUsages.ServerAuthOid) && !KeyUsages.Carries(kubeletServing, KeyUsages.ClientAuthOid));
        Assert.Equal("CN=system:node:n1, O=system:nodes", kubelet.Subject);
    }

    [Fact]
    public void LeavesAreRenewedAtStartWithin90DaysOfExpiryOrAfterIt()
    {
        ClusterPki first = Load();
        string ca = first.Ca.Thumbprint;
        string[] issued = Thumbprints(first);

        _time.Advance(TimeSpan.FromDays(200));
        Assert.Equal(issued, Thumbprints(Load()));

        _time.Advance(TimeSpan.FromDays(80)); // 85 days left
        ClusterPki renewed = Load();
        Assert.All(Thumbprints(renewed).Zip(issued), pair => Assert.NotEqual(pair.Second, pair.First));
        Assert.Equal(ca, renewed.Ca.Thumbprint);
        Assert.Equal(_time.GetUtcNow() + CertificateLifetimes.Leaf, new DateTimeOffset(renewed.Serving.NotAfter.ToUniversalTime()));

        _time.Advance(TimeSpan.FromDays(400)); // long expired
        ClusterPki again = Load();
        Assert.All(Thumbprints(again).Zip(Thumbprints(renewed)), pair => Assert.NotEqual(pair.Second, pair.First));
        Assert.True(again.IsSignedByCa(again.Admin));
    }

    [Fact]
    public void ARunningServerRenewsWhatIsDueAndTakesUpRotatedFiles()
    {
        ClusterPki running = Load();
        string[] issued = Thumbprints(running);
        Assert.Empty(running.Refresh());

        // Another process (navarch certificate rotate) writes new certificates: the next refresh takes them up.
        ClusterPki rotator = Load();
        Assert.Equal(ClusterPki.LeafNames, rotator.RotateAll());
        Assert.Equal(ClusterPki.LeafNames, running.Refresh());
        Assert.Equal(Thumbprints(rotator), Thumbprints(running));
        Assert.All(Thumbprints(running).Zip(issued), pair => Assert.NotEqual(pair.Second, pair.First));

        // And renews by itself once within 90 days of expiry.
        string[] rotated = Thumbprints(running);
        _time.Advance(TimeSpan.FromDays(300));
        Assert.Equal(ClusterPki.LeafNames, running.Refresh());
        Assert.All(Thumbprints(running).Zip(rotated), pair => Assert.NotEqual(pair.Second, pair.First));
        Assert.Empty(running.Refresh());
    }
}
