using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.Snapshots;
using Navarch.Testing;
using static Navarch.Testing.Polling;

namespace Navarch.Cli.Tests;

/// <summary>
/// <c>navarch snapshot save</c> against an etcd serving TLS with client-certificate auth, laid out as the embedded
/// etcd leaves it: <c>server/db/etcd/config.json</c> and the client files in <c>server/tls/etcd/</c>.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SnapshotEtcdTlsTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("navarch-snaptls-");

    [Fact]
    public async Task Save_reaches_the_embedded_etcd_with_its_client_certificate_and_ca()
    {
        string tls = Path.Combine(_dataDir.FullName, "server", "tls", "etcd");
        Directory.CreateDirectory(tls);
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=etcd-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(tls, "server-ca.crt"), ca.ExportCertificatePem());
        Issue(ca, caKey, "etcd-server", serverAuth: true, Path.Combine(tls, "server.crt"), Path.Combine(tls, "server.key"));
        Issue(ca, caKey, "etcd-client", serverAuth: false, Path.Combine(tls, "client.crt"), Path.Combine(tls, "client.key"));

        int clientPort = FreePort.Next(), peerPort = FreePort.Next();
        string clientUrl = $"https://127.0.0.1:{clientPort}", peerUrl = $"http://127.0.0.1:{peerPort}";
        string etcdDir = EmbeddedEtcdConfig.DataDir(_dataDir.FullName);
        Directory.CreateDirectory(etcdDir);
        await File.WriteAllTextAsync(Path.Combine(etcdDir, "config.json"), $$"""{"name":"n1","clientUrl":"{{clientUrl}}","peerUrl":"{{peerUrl}}"}""");
        var start = new ProcessStartInfo("/usr/bin/etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[]
        {
            "--name", "n1", "--data-dir", etcdDir,
            "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", $"n1={peerUrl}",
            "--cert-file", Path.Combine(tls, "server.crt"), "--key-file", Path.Combine(tls, "server.key"),
            "--client-cert-auth", "--trusted-ca-file", Path.Combine(tls, "server-ca.crt"),
            "--logger", "zap", "--log-level", "error",
        })
        {
            start.ArgumentList.Add(arg);
        }

        using Process etcd = Process.Start(start)!;
        etcd.OutputDataReceived += (_, _) => { };
        etcd.ErrorDataReceived += (_, _) => { };
        etcd.BeginOutputReadLine();
        etcd.BeginErrorReadLine();
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var root = new System.CommandLine.RootCommand { Commands.Snapshot.SnapshotCommand.Create(output, error) };
            // Until etcd serves (the port was free when picked; a lost race shows as a failed save and an exited etcd).
            await Eventually(async () => etcd.HasExited || await root.Parse(["snapshot", "save", "--data-dir", _dataDir.FullName, "--node-name", "n1"]).InvokeAsync() == 0,
                "a snapshot of the TLS etcd", timeout: TimeSpan.FromSeconds(30), interval: TimeSpan.FromMilliseconds(500), detail: () => Task.FromResult(error.ToString()));
            Assert.False(etcd.HasExited);
            string snapshot = Assert.Single(Directory.GetFiles(SnapshotDirectory.DefaultPath(_dataDir.FullName)));
            Assert.Contains("of the etcd datastore", output.ToString(), StringComparison.Ordinal);
            Assert.True(new FileInfo(snapshot).Length > 4096);

            // A client certificate from another CA is refused by etcd: the save fails in one line.
            Issue(ca, caKey, "etcd-client", serverAuth: false, Path.Combine(tls, "client.crt"), Path.Combine(tls, "client.key"), selfSigned: true);
            error.GetStringBuilder().Clear();
            Assert.Equal(1, await root.Parse(["snapshot", "save", "--data-dir", _dataDir.FullName, "--node-name", "n1", "--name", "refused"]).InvokeAsync());
            Assert.StartsWith("navarch snapshot save: etcd: Unavailable", error.ToString(), StringComparison.Ordinal);
            Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            etcd.Kill();
            await etcd.WaitForExitAsync();
        }
    }

    private static void Issue(X509Certificate2 ca, ECDsa caKey, string name, bool serverAuth, string certFile, string keyFile, bool selfSigned = false)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([serverAuth ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        using X509Certificate2 cert = selfSigned
            ? request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1))
            : request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => _dataDir.Delete(recursive: true);
}
