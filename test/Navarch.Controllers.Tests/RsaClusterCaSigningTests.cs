using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Pki;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// A real API server rotated to a custom RSA cluster CA (cross-signed by its ECDSA one) and restarted: it serves and
/// authenticates with leaves of the RSA CA, and the csrsigning controller signs with the RSA key — a node's client
/// renewal is issued, chains to the RSA CA, and authenticates.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RsaClusterCaSigningTests
{
    [Fact]
    public async Task TheCsrSignerSignsWithAnRsaClusterCa()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(port: FreePort.Next(), authorizationMode: "Node,RBAC");
        string path = Path.Combine(host.DataDir, "rsa-ca");
        using X509Certificate2 rsaCa = CustomCa.WriteRsa(path, 3072, host.Server.Pki.Ca, DateTimeOffset.UtcNow);
        CaRotation.Validate(path, host.Server.Pki.Ca, DateTimeOffset.UtcNow, force: false);
        CaRotation.Install(host.Server.Pki.Directory, path, DateTimeOffset.UtcNow);
        await host.RestartAsync();
        Assert.Equal(rsaCa.Thumbprint, host.Server.Pki.Ca.Thumbprint);

        using var stop = new CancellationTokenSource();
        var options = new ControllerManagerOptions { ClusterSigningCertificate = host.Server.Pki.Ca, ClusterSigningDuration = TimeSpan.FromDays(30) };
        Task manager = new ControllerManager(host.Client, NullLoggerFactory.Instance, options: options).RunAsync(stop.Token);
        try
        {
            using var nodeConfig = new MemoryStream(Encoding.UTF8.GetBytes(host.Server.ClientKubeconfig("system:node:n1", "system:nodes")));
            using var node = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(nodeConfig));
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await node.CertificatesV1.CreateCertificateSigningRequestAsync(new V1CertificateSigningRequest
            {
                Metadata = new V1ObjectMeta { Name = "rsa-signed" },
                Spec = new V1CertificateSigningRequestSpec { Request = CertificateRequestPem.Create(key, "CN=system:node:n1, O=system:nodes"), SignerName = Signers.KubeApiServerClientKubelet, Usages = ["digital signature", "client auth"] },
            });
            V1CertificateSigningRequest issued = await Polling.Eventually(
                () => host.Client.CertificatesV1.ReadCertificateSigningRequestAsync("rsa-signed"), CsrConditions.Issued, "the CSR is issued", TimeSpan.FromSeconds(20));

            using X509Certificate2 certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(issued.Status.Certificate));
            Assert.Equal(rsaCa.Subject, certificate.Issuer);
            Assert.Equal("1.2.840.113549.1.1.11", certificate.SignatureAlgorithm.Value);
            Assert.True(CertificateChains.Verify(certificate, rsaCa, CertificateChains.ClientAuth));

            using var renewed = new Kubernetes(new KubernetesClientConfiguration
            {
                Host = $"https://127.0.0.1:{host.Server.Port}",
                SslCaCerts = [X509CertificateLoader.LoadCertificate(rsaCa.RawData)],
                ClientCertificateData = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())),
                ClientCertificateKeyData = Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem())),
            });
            V1SelfSubjectReview whoami = await renewed.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
            Assert.Equal("system:node:n1", whoami.Status.UserInfo.Username);
        }
        finally
        {
            await stop.CancelAsync();
            await manager;
        }
    }
}
