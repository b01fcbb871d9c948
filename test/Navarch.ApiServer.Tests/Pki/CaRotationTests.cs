using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Pki;

namespace Navarch.ApiServer.Tests.Pki;

/// <summary>
/// A CA rotation on files and a fake clock: the installed CA signs the leaves reissued at the next load while the old CA
/// stays a trust root and the cross-signed CA goes with the serving certificate; a cross-signed CA of another issuer
/// is refused; a swap a crash interrupted is completed at load instead of a new CA being made.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CaRotationTests : IDisposable
{
    private static readonly IPAddress ServiceIp = IPAddress.Parse("10.43.0.1");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-carotation-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Delete(recursive: true);

    private string Tls => Path.Combine(_dir.FullName, "tls");

    private ClusterPki Load() => ClusterPki.LoadOrCreate(Tls, ServiceIp, _time);

    [Fact]
    public void TheNewCaSignsTheReissuedLeavesAndTheOldOneStaysTrusted()
    {
        ClusterPki before = Load();
        X509Certificate2 oldAdmin = before.Admin, oldCa = before.Ca;
        string newCa = Path.Combine(_dir.FullName, "new");
        // CAs are named after the second they were made in.
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(newCa, before.Ca, _time.GetUtcNow());
        CaRotation.Validate(newCa, before.Ca, _time.GetUtcNow(), force: false);

        _time.Advance(TimeSpan.FromHours(1));
        string backup = CaRotation.Install(Tls, newCa, _time.GetUtcNow());
        Assert.True(File.Exists(Path.Combine(backup, "client-admin.crt")));

        ClusterPki after = Load();
        Assert.NotEqual(oldCa.Thumbprint, after.Ca.Thumbprint);
        Assert.Equal([after.Ca.Thumbprint, oldCa.Thumbprint], after.TrustedCas.Select(c => c.Thumbprint));
        Assert.Equal(before.ServiceAccountKey.ExportSubjectPublicKeyInfo(), after.ServiceAccountKey.ExportSubjectPublicKeyInfo());
        foreach (X509Certificate2 leaf in new[] { after.Serving, after.Admin, after.KubeletClient })
        {
            Assert.True(CertificateChains.Verify(leaf, after.Ca, usage: null, _time.GetUtcNow()), leaf.Subject);
        }

        // A client of the old CA still authenticates; one of a CA never trusted does not.
        Assert.True(after.IsClientCertificate(oldAdmin));
        string stranger = Path.Combine(_dir.FullName, "stranger");
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(stranger, null, _time.GetUtcNow());
        using X509Certificate2 strangerCa = X509Certificate2.CreateFromPemFile(Path.Combine(stranger, "server-ca.crt"), Path.Combine(stranger, "server-ca.key"));
        using X509Certificate2 strangerClient = CertificateIssuer.IssueWithNewKey(strangerCa, "CN=mallory", CertificateIssuer.ClientUsages, null, _time.GetUtcNow(), TimeSpan.FromDays(1));
        Assert.False(after.IsClientCertificate(strangerClient));

        // The serving chain leads a client that trusts only the old CA there.
        Assert.Single(after.CaIntermediates);
        Assert.Contains(after.ServingContext.IntermediateCertificates, c => c.Thumbprint == after.CaIntermediates[0].Thumbprint);
        Assert.True(CertificateChains.Verify(after.CaIntermediates[0], oldCa, usage: null, _time.GetUtcNow()));

        // So does the kubelet client chain a kubelet that trusts only the old CA: through the intermediates sent, not without.
        Assert.Contains(after.KubeletClientContext.IntermediateCertificates, c => c.Thumbprint == after.CaIntermediates[0].Thumbprint);
        Assert.True(CertificateChains.Verify(after.KubeletClient, [oldCa], CertificateChains.ClientAuth, _time.GetUtcNow(), after.KubeletClientContext.IntermediateCertificates));
        Assert.False(CertificateChains.Verify(after.KubeletClient, [oldCa], CertificateChains.ClientAuth, _time.GetUtcNow()));
    }

    [Fact]
    public void ACaCrossSignedByAnotherIssuerOrExpiredIsRefused()
    {
        ClusterPki pki = Load();
        string stranger = Path.Combine(_dir.FullName, "stranger");
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(stranger, null, _time.GetUtcNow());
        using X509Certificate2 strangerCa = X509Certificate2.CreateFromPemFile(Path.Combine(stranger, "server-ca.crt"), Path.Combine(stranger, "server-ca.key"));
        string newCa = Path.Combine(_dir.FullName, "new");
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(newCa, strangerCa, _time.GetUtcNow());

        InvalidDataException wrongIssuer = Assert.Throws<InvalidDataException>(() => CaRotation.Validate(newCa, pki.Ca, _time.GetUtcNow(), force: false));
        Assert.Contains("is not signed by the current cluster CA", wrongIssuer.Message, StringComparison.Ordinal);

        InvalidDataException expired = Assert.Throws<InvalidDataException>(() => CaRotation.Validate(newCa, pki.Ca, _time.GetUtcNow().AddYears(11), force: true));
        Assert.Contains("is not valid now", expired.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACaStagedWhileTheServerRanIsInstalledAtTheNextLoadOnce()
    {
        ClusterPki before = Load();
        string newCa = Path.Combine(_dir.FullName, "new");
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(newCa, before.Ca, _time.GetUtcNow());
        CaRotation.Validate(newCa, before.Ca, _time.GetUtcNow(), force: false);
        string staged = CaRotation.Stage(Tls, newCa);
        Assert.Equal(Tls + ".pending", staged);
        // Staging again replaces what was staged.
        Assert.Equal(staged, CaRotation.Stage(Tls, newCa));

        _time.Advance(TimeSpan.FromMinutes(1));
        ClusterPki after = Load();
        Assert.False(Directory.Exists(staged));
        Assert.Equal(File.ReadAllText(Path.Combine(newCa, "server-ca.crt")), after.Ca.ExportCertificatePem() + "\n");
        Assert.Equal([after.Ca.Thumbprint, before.Ca.Thumbprint], after.TrustedCas.Select(c => c.Thumbprint));
        Assert.True(CertificateChains.Verify(after.Serving, after.Ca, CertificateChains.ServerAuth, _time.GetUtcNow()));

        // A crash after the install but before the staged folder went: the next load only removes it.
        CaRotation.Stage(Tls, newCa);
        ClusterPki again = Load();
        Assert.False(Directory.Exists(staged));
        Assert.Equal([after.Ca.Thumbprint, before.Ca.Thumbprint], again.TrustedCas.Select(c => c.Thumbprint));
    }

    [Fact]
    public void ASwapACrashInterruptedIsCompletedAtLoad()
    {
        ClusterPki before = Load();
        string newCa = Path.Combine(_dir.FullName, "new");
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(newCa, before.Ca, _time.GetUtcNow());
        CaRotation.Install(Tls, newCa, _time.GetUtcNow());
        string installed = File.ReadAllText(Path.Combine(Tls, "server-ca.crt"));

        // As if the process died between the two renames: the staged folder is there, the TLS folder is not.
        Directory.Move(Tls, Tls + ".new");
        Assert.Equal(installed, File.ReadAllText(Path.Combine(Load().Directory, "server-ca.crt")));
        Assert.False(Directory.Exists(Tls + ".new"));

        // A staged folder left by a crash before the swap is discarded by the next rotation.
        Directory.CreateDirectory(Tls + ".new");
        File.WriteAllText(Path.Combine(Tls + ".new", "junk"), "x");
        string again = Path.Combine(_dir.FullName, "again");
        _time.Advance(TimeSpan.FromMinutes(1));
        CaRotation.Generate(again, Load().Ca, _time.GetUtcNow());
        CaRotation.Install(Tls, again, _time.GetUtcNow().AddSeconds(1));
        Assert.False(File.Exists(Path.Combine(Tls, "junk")));
        Assert.Equal(File.ReadAllText(Path.Combine(again, "server-ca.crt")), File.ReadAllText(Path.Combine(Tls, "server-ca.crt")));
    }
}
