using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Pki;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Pki;

/// <summary>
/// A custom cluster CA with an RSA key (2048, 3072, 4096 bits; its key in PKCS #1 or PKCS #8 PEM): a rotation from
/// Navarch's ECDSA CA to it, after which it signs the server's leaves, the certificates the CSR signer issues (for RSA
/// and ECDSA requests) and, cross-signed by the old CA, still leads old-trust peers to them; a rotation from it back to
/// an ECDSA CA (the RSA CA cross-signs); an RSA CA under 2048 bits is refused; a CA without a subject key identifier
/// signs leaves without an authority key identifier.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RsaCaTests : IDisposable
{
    private const string Sha256Rsa = "1.2.840.113549.1.1.11";
    private static readonly IPAddress ServiceIp = IPAddress.Parse("10.43.0.1");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-rsaca-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Delete(recursive: true);

    private string Tls => Path.Combine(_dir.FullName, "tls");

    private ClusterPki Load() => ClusterPki.LoadOrCreate(Tls, ServiceIp, _time);

    [Theory]
    [InlineData(2048, true)]
    [InlineData(3072, false)]
    [InlineData(4096, false)]
    public void ARotationToAnRsaCaSignsEverythingAndOldPeersStillVerify(int bits, bool pkcs1Key)
    {
        ClusterPki before = Load();
        X509Certificate2 oldCa = before.Ca, oldAdmin = before.Admin;
        string path = Path.Combine(_dir.FullName, "rsa");
        _time.Advance(TimeSpan.FromMinutes(1));
        using X509Certificate2 rsaCa = CustomCa.WriteRsa(path, bits, before.Ca, _time.GetUtcNow(), pkcs1Key);
        CaRotation.Validate(path, before.Ca, _time.GetUtcNow(), force: false);
        CaRotation.Install(Tls, path, _time.GetUtcNow());

        ClusterPki after = Load();
        Assert.Equal(rsaCa.Thumbprint, after.Ca.Thumbprint);
        Assert.NotNull(after.Ca.GetRSAPrivateKey());
        DateTimeOffset now = _time.GetUtcNow();
        foreach (X509Certificate2 leaf in new[] { after.Serving, after.Admin, after.KubeletClient, after.IssueClient("someone", null), after.IssueServing("node", ["node"], [IPAddress.Loopback]) })
        {
            Assert.Equal(Sha256Rsa, leaf.SignatureAlgorithm.Value);
            Assert.True(CertificateChains.Verify(leaf, after.Ca, usage: null, now), leaf.Subject);
            // A peer that trusts only the old ECDSA CA gets there through the cross-signed RSA CA.
            Assert.True(CertificateChains.Verify(leaf, [oldCa], usage: null, now, after.CaIntermediates), leaf.Subject);
        }

        Assert.True(after.IsClientCertificate(oldAdmin));
        Assert.Contains(after.KubeletClientContext.IntermediateCertificates, c => c.Thumbprint == after.CaIntermediates[0].Thumbprint);

        // The CSR signer's path: a request's own key, RSA or ECDSA, certified by the RSA CA.
        using var rsaKey = RSA.Create(2048);
        using var ecKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (PublicKey key in new[] { new CertificateRequest("CN=x", rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).PublicKey, new CertificateRequest("CN=x", ecKey, HashAlgorithmName.SHA256).PublicKey })
        {
            using X509Certificate2 issued = CertificateIssuer.Issue(after.Ca, key, new X500DistinguishedName("CN=system:node:n1, O=system:nodes"), CertificateIssuer.ClientUsages, null, now, TimeSpan.FromDays(30));
            Assert.True(after.IsClientCertificate(issued));
        }
    }

    [Fact]
    public void ARotationFromAnRsaCaToAnEcdsaCaIsCrossSignedByTheRsaCa()
    {
        ClusterPki first = Load();
        string rsa = Path.Combine(_dir.FullName, "rsa");
        _time.Advance(TimeSpan.FromMinutes(1));
        CustomCa.WriteRsa(rsa, 2048, first.Ca, _time.GetUtcNow()).Dispose();
        CaRotation.Validate(rsa, first.Ca, _time.GetUtcNow(), force: false);
        CaRotation.Install(Tls, rsa, _time.GetUtcNow());
        ClusterPki onRsa = Load();
        X509Certificate2 rsaAdmin = onRsa.Admin;

        string ecdsa = Path.Combine(_dir.FullName, "ecdsa");
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(ecdsa, onRsa.Ca, _time.GetUtcNow());
        CaRotation.Validate(ecdsa, onRsa.Ca, _time.GetUtcNow(), force: false);
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Install(Tls, ecdsa, _time.GetUtcNow());

        ClusterPki onEcdsa = Load();
        Assert.NotNull(onEcdsa.Ca.GetECDsaPrivateKey());
        Assert.Equal(Sha256Rsa, onEcdsa.CaIntermediates.Single().SignatureAlgorithm.Value);
        Assert.True(CertificateChains.Verify(onEcdsa.Serving, [onRsa.Ca], CertificateChains.ServerAuth, _time.GetUtcNow(), onEcdsa.CaIntermediates));
        Assert.True(onEcdsa.IsClientCertificate(rsaAdmin));
    }

    [Fact]
    public void AShortRsaKeyIsRefusedAndACaWithoutAKeyIdentifierSigns()
    {
        ClusterPki pki = Load();
        string weak = Path.Combine(_dir.FullName, "weak");
        CustomCa.WriteRsa(weak, 1024, pki.Ca, _time.GetUtcNow()).Dispose();
        InvalidDataException refused = Assert.Throws<InvalidDataException>(() => CaRotation.Validate(weak, pki.Ca, _time.GetUtcNow(), force: false));
        Assert.Equal($"{Path.Combine(weak, "server-ca.crt")} has an RSA key of 1024 bits: a cluster CA's RSA key has at least 2048", refused.Message);

        string bare = Path.Combine(_dir.FullName, "bare");
        using X509Certificate2 ca = CustomCa.WriteRsa(bare, 2048, pki.Ca, _time.GetUtcNow(), subjectKeyIdentifier: false);
        CaRotation.Validate(bare, pki.Ca, _time.GetUtcNow(), force: false);
        using X509Certificate2 leaf = CertificateIssuer.IssueWithNewKey(ca, "CN=leaf", CertificateIssuer.ClientUsages, null, _time.GetUtcNow(), TimeSpan.FromDays(1));
        Assert.DoesNotContain(leaf.Extensions, e => e is X509AuthorityKeyIdentifierExtension);
        Assert.True(CertificateChains.Verify(leaf, ca, CertificateChains.ClientAuth, _time.GetUtcNow()));
    }
}
