using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Navarch.E2E.Tests;

/// <summary>
/// The server's own agent gets its kubelet serving certificate as a joined agent does: a
/// <c>kubernetes.io/kubelet-serving</c> CSR of <c>system:node:&lt;name&gt;</c>, approved by csrapproving and issued by
/// csrsigning, which its kubelet API then presents and the API server accepts (<c>kubectl logs</c>).
/// </summary>
[Trait("Category", "Node")]
public sealed class ServerKubeletServingTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    [Fact]
    public async Task The_servers_kubelet_serves_a_certificate_issued_through_a_csr()
    {
        string requester = $"system:node:{node.NodeName}";
        await node.PollAsync(
            "an issued kubelet-serving CSR of the server's node",
            csrs => csrs.Split('\n').Any(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, "kubernetes.io/kubelet-serving", var who, "Approved", var issued] && who == requester && issued != "<none>"),
            TimeSpan.FromSeconds(90),
            "get", "csr", "--no-headers", "-o", "custom-columns=N:.metadata.name,S:.spec.signerName,U:.spec.username,C:.status.conditions[*].type,I:.status.certificate");

        string file = Path.Combine(node.DataDir, "agent", "serving-kubelet.crt");
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(node.DataDir, "server", "tls", "server-ca.crt"));
        string ip = (await node.OkAsync("get", "node", node.NodeName, "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}")).Trim();
        int port = int.Parse((await node.OkAsync("get", "node", node.NodeName, "-o", "jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Eventually(
            async () => File.Exists(file) && (await PresentedAsync(ip, port, ca)).Thumbprint == X509CertificateLoader.LoadCertificateFromFile(file).Thumbprint,
            "the kubelet presents the certificate the CSR issued",
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(500));

        using X509Certificate2 presented = await PresentedAsync(ip, port, ca);
        Assert.Equal($"CN={requester}, O=system:nodes", presented.Subject);
        Assert.Contains(node.NodeName, presented.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(node.DataDir, "agent", "serving-kubelet.key")));

        // The API server trusts it: kubectl logs reaches the kubelet API.
        await node.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: serving-check
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox:1.35
                command: ["sh", "-c", "echo served; sleep 3600"]
            """);
        await node.PollAsync("kubectl logs through the kubelet API", logs => logs == "served", TimeSpan.FromSeconds(60), "logs", "serving-check");
        // Deleted through the kubelet (a grace period above 0, waited for): a pod that leaves the API at once while the
        // fixture stops the server would leave its sandbox's network namespace behind.
        await node.OkAsync("delete", "pod", "serving-check", "--timeout=60s");
    }

    /// <summary>The certificate the kubelet API presents, which must chain to the cluster CA.</summary>
    private static async Task<X509Certificate2> PresentedAsync(string ip, int port, X509Certificate2 ca)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(ip, port);
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
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = ip, CertificateChainPolicy = new X509ChainPolicy { DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck } });
        return presented!;
    }
}
