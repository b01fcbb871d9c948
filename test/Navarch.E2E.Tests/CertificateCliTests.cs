using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Navarch.E2E.Tests;

/// <summary>
/// <c>navarch certificate check</c> and <c>rotate</c> against a running <c>navarch server</c>: check lists the
/// certificates with their status, rotate issues new leaves that the running server serves and writes into its
/// kubeconfig within a minute and a half, without a restart.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CertificateCliTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    private string Tls => Path.Combine(server.DataDir, "server", "tls");

    private static string Row(string table, string file) => table.Split('\n').Single(l => l.StartsWith(file + " ", StringComparison.Ordinal));

    private async Task<X509Certificate2> PresentedAsync()
    {
        string url = (await server.KubectlAsync("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}")).Stdout.Trim();
        var uri = new Uri(url);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "server-ca.crt"));
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            presented = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            return presented is not null && chain.Build(presented);
        });
        await tls.AuthenticateAsClientAsync("localhost");
        return presented!;
    }

    [Fact]
    public async Task Check_lists_the_certificates_and_rotate_reaches_the_running_server()
    {
        Kubectl.Result check = await NavarchCli.RunAsync(["certificate", "check", "--data-dir", server.DataDir]);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Matches("^FILENAME +SUBJECT +USAGES +EXPIRES +RESIDUAL TIME +STATUS", check.Stdout);
        Assert.Matches(@"CN=navarch-server-ca@\d+ +CertSign +\S+ +36(49|50)d\d+h +OK$", Row(check.Stdout, "server/tls/server-ca.crt"));
        Assert.Matches(@"CN=kube-apiserver +ServerAuth +\S+ +36[45]d\d+h +OK$", Row(check.Stdout, "server/tls/serving-kube-apiserver.crt"));
        Assert.Matches(@"CN=system:admin, O=system:masters +ClientAuth +\S+ +36[45]d\d+h +OK$", Row(check.Stdout, "server/tls/client-admin.crt"));

        using X509Certificate2 before = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "serving-kube-apiserver.crt"));
        Assert.Equal(before.Thumbprint, (await PresentedAsync()).Thumbprint);
        string kubeconfig = await File.ReadAllTextAsync(server.Kubeconfig);

        Kubectl.Result rotate = await NavarchCli.RunAsync(["certificate", "rotate", "--data-dir", server.DataDir]);
        Assert.True(rotate.ExitCode == 0, rotate.Output);
        Assert.Equal(3, rotate.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("rotated ", StringComparison.Ordinal)));
        using X509Certificate2 after = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "serving-kube-apiserver.crt"));
        Assert.NotEqual(before.Thumbprint, after.Thumbprint);

        await Eventually(async () => (await PresentedAsync()).Thumbprint == after.Thumbprint, "the running server serves the rotated certificate", TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(1));
        await Eventually(async () => await File.ReadAllTextAsync(server.Kubeconfig) != kubeconfig, "the written kubeconfig carries the rotated admin certificate", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        Kubectl.Result get = await server.KubectlAsync("get", "namespaces", "kube-system", "-o", "name");
        Assert.True(get.ExitCode == 0, get.Output);
    }

    [Fact]
    public async Task Check_says_what_is_due_and_what_has_expired()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-certcheck-");
        try
        {
            string tls = Path.Combine(dir.FullName, "server", "tls");
            Directory.CreateDirectory(tls);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            foreach ((string name, DateTimeOffset notAfter) in new[] { ("due", now.AddDays(30)), ("gone", now.AddDays(-2)) })
            {
                var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
                request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
                using X509Certificate2 cert = request.CreateSelfSigned(now.AddDays(-400), notAfter);
                await File.WriteAllTextAsync(Path.Combine(tls, name + ".crt"), cert.ExportCertificatePem());
            }

            Kubectl.Result check = await NavarchCli.RunAsync(["certificate", "check", "--data-dir", dir.FullName]);
            Assert.True(check.ExitCode == 1, check.Output);
            Assert.Matches(@"CN=due +ClientAuth +\S+ +(29|30)d\d+h +WARNING$", Row(check.Stdout, "server/tls/due.crt"));
            Assert.Matches(@"CN=gone +ClientAuth +\S+ +-[12]d\d+h +EXPIRED$", Row(check.Stdout, "server/tls/gone.crt"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
