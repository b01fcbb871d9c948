using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// The real kubectl's <c>certificate approve</c> and <c>deny</c> against <c>navarch server</c>: an approved
/// kube-apiserver-client request is issued by the cluster CA and its certificate logs kubectl in as the user asked
/// for; a denied one is never issued; and kubectl will not approve it then.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CertificateKubectlTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    private async Task<string> Ok(params string[] args)
    {
        Kubectl.Result r = await server.KubectlAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout;
    }

    private async Task CreateAsync(string name, ECDsa key, string subject)
    {
        string request = Convert.ToBase64String(CertificateRequestPem.Create(key, subject));
        string yaml = $"""
            apiVersion: certificates.k8s.io/v1
            kind: CertificateSigningRequest
            metadata:
              name: {name}
            spec:
              request: {request}
              signerName: kubernetes.io/kube-apiserver-client
              expirationSeconds: 86400
              usages: [digital signature, client auth]
            """;
        Kubectl.Result r = await server.KubectlWithInputAsync(yaml, "apply", "-f", "-");
        Assert.True(r.ExitCode == 0, r.Output);
    }

    private async Task<string> ConditionAsync(string name) =>
        (await Ok("get", "csr", name, "--no-headers", "-o", "custom-columns=C:.status.conditions[*].type")).Trim();

    [Fact]
    public async Task An_approved_request_is_issued_and_its_certificate_logs_in()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await CreateAsync("alice-client", key, "CN=alice, O=developers");

        string table = await Ok("get", "csr", "alice-client");
        Assert.Contains("kubernetes.io/kube-apiserver-client", table, StringComparison.Ordinal);
        Assert.Contains("system:admin", table, StringComparison.Ordinal);
        Assert.Contains("Pending", table, StringComparison.Ordinal);

        Assert.Equal("certificatesigningrequest.certificates.k8s.io/alice-client approved", (await Ok("certificate", "approve", "alice-client")).Trim());
        string issued = await Eventually(() => Ok("get", "csr", "alice-client", "-o", "jsonpath={.status.certificate}"), o => o.Trim().Length > 0, "the csr is issued", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        Assert.Contains("Approved,Issued", await Ok("get", "csr", "alice-client"), StringComparison.Ordinal);

        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(issued.Trim())));
        Assert.Equal("CN=alice, O=developers", certificate.Subject);
        Assert.InRange(certificate.NotAfter - certificate.NotBefore, TimeSpan.FromDays(1), TimeSpan.FromDays(1) + TimeSpan.FromMinutes(10));

        // Approving again changes nothing and says so.
        Assert.Contains("approved", await Ok("certificate", "approve", "alice-client"), StringComparison.Ordinal);

        string dir = Path.Combine(server.DataDir, "alice");
        Directory.CreateDirectory(dir);
        string crt = Path.Combine(dir, "alice.crt"), keyFile = Path.Combine(dir, "alice.key");
        await File.WriteAllTextAsync(crt, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        string kubeconfig = Path.Combine(dir, "kubeconfig");
        File.Copy(server.Kubeconfig, kubeconfig);
        Assert.Equal(0, (await Kubectl.RunAsync(kubeconfig, "config", "set-credentials", "alice", "--client-certificate", crt, "--client-key", keyFile)).ExitCode);
        Assert.Equal(0, (await Kubectl.RunAsync(kubeconfig, "config", "set-context", "--current", "--user", "alice")).ExitCode);
        Kubectl.Result whoami = await Kubectl.RunAsync(kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}/{.status.userInfo.groups}");
        Assert.True(whoami.ExitCode == 0, whoami.Output);
        Assert.Equal("alice/[\"developers\",\"system:authenticated\"]", whoami.Stdout.Trim());
    }

    [Fact]
    public async Task A_denied_request_is_never_issued_and_cannot_then_be_approved()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await CreateAsync("mallory-client", key, "CN=mallory");

        Assert.Equal("certificatesigningrequest.certificates.k8s.io/mallory-client denied", (await Ok("certificate", "deny", "mallory-client")).Trim());
        Assert.Equal("Denied", await ConditionAsync("mallory-client"));
        Assert.Contains("Denied", await Ok("get", "csr", "mallory-client"), StringComparison.Ordinal);

        // kubectl refuses by itself, forced or not (the API server's own refusal is in the API server's tests).
        foreach (string[] args in new[] { new[] { "certificate", "approve", "mallory-client" }, ["certificate", "approve", "--force", "mallory-client"] })
        {
            Kubectl.Result approve = await server.KubectlAsync(args);
            Assert.NotEqual(0, approve.ExitCode);
            Assert.True(approve.Output.Contains("is already Denied", StringComparison.Ordinal), approve.Output);
        }

        // The signer has had time to act on anything it would: nothing is issued.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal("", (await Ok("get", "csr", "mallory-client", "-o", "jsonpath={.status.certificate}")).Trim());
        Assert.Equal("Denied", await ConditionAsync("mallory-client"));
    }
}
