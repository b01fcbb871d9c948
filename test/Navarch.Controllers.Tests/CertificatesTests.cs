using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Api.Certificates;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The csrapproving and csrsigning controllers against a real API server under Node,RBAC: a node's own client
/// certificate renewal is approved and signed, a node asking for another's name is not; a kubelet serving request is
/// approved only for the Node's own addresses; a person's kube-apiserver-client request waits for approval, is signed
/// for its expirationSeconds, and the certificate authenticates; the signer fails a request its rules refuse.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CertificatesTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private ApiServerHost _host = null!;
    private Task _manager = Task.CompletedTask;

    private Kubernetes Admin => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");
        var options = new ControllerManagerOptions { ClusterSigningCertificate = _host.Server.Pki.Ca, ClusterSigningDuration = TimeSpan.FromDays(30) };
        _manager = new ControllerManager(_host.Client, NullLoggerFactory.Instance, options: options).RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _manager;
        await _host.DisposeAsync();
        _stop.Dispose();
    }

    private Kubernetes As(string user, string? group)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(_host.Server.ClientKubeconfig(user, group)));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }

    private static V1CertificateSigningRequest Csr(string name, byte[] request, string signer, IList<string> usages, int? expirationSeconds = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1CertificateSigningRequestSpec { Request = request, SignerName = signer, Usages = usages, ExpirationSeconds = expirationSeconds },
    };

    private Task<V1CertificateSigningRequest> IssuedAsync(string name) =>
        Polling.Eventually(() => Admin.CertificatesV1.ReadCertificateSigningRequestAsync(name), CsrConditions.Issued, $"CSR {name} is issued", TimeSpan.FromSeconds(20));

    [Fact]
    public async Task ANodesOwnClientRenewalIsApprovedAndSigned()
    {
        using Kubernetes node = As("system:node:n1", "system:nodes");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await node.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("node-client-n1", CertificateRequestPem.Create(key, "CN=system:node:n1, O=system:nodes"), Signers.KubeApiServerClientKubelet, ["digital signature", "client auth"]));
        await node.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("node-client-other", CertificateRequestPem.Create("CN=system:node:n2, O=system:nodes"), Signers.KubeApiServerClientKubelet, ["digital signature", "client auth"]));

        V1CertificateSigningRequest issued = await IssuedAsync("node-client-n1");
        V1CertificateSigningRequestCondition approved = Assert.Single(issued.Status.Conditions);
        Assert.Equal(("Approved", "AutoApproved", "Auto approving self kubelet client certificate after SubjectAccessReview."), (approved.Type, approved.Reason, approved.Message));
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(issued.Status.Certificate));
        Assert.Equal("CN=system:node:n1, O=system:nodes", certificate.Subject);
        Assert.True(KeyUsages.Carries(certificate, KeyUsages.ClientAuthOid));
        Assert.False(KeyUsages.Carries(certificate, KeyUsages.ServerAuthOid));
        Assert.True(_host.Server.Pki.IsSignedByCa(certificate));
        Assert.InRange(certificate.NotAfter - certificate.NotBefore, TimeSpan.FromDays(30), TimeSpan.FromDays(30) + CertificateIssuer.Backdate);

        // The new certificate is the node's identity.
        using X509Certificate2 withKey = certificate.CopyWithPrivateKey(key);
        using Kubernetes renewed = new(new KubernetesClientConfiguration
        {
            Host = $"https://127.0.0.1:{_host.Server.Port}",
            SslCaCerts = [X509CertificateLoader.LoadCertificate(_host.Server.Pki.Ca.RawData)],
            ClientCertificateData = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())),
            ClientCertificateKeyData = Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem())),
        });
        V1SelfSubjectReview whoami = await renewed.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("system:node:n1", whoami.Status.UserInfo.Username);

        // Asking for another node's name needs certificatesigningrequests/nodeclient, which no node has. Its request was
        // queued before its neighbour's, which is done: it was judged and left pending.
        V1CertificateSigningRequest other = await Admin.CertificatesV1.ReadCertificateSigningRequestAsync("node-client-other");
        Assert.Null(other.Status?.Conditions);
    }

    [Fact]
    public async Task AKubeletServingRequestIsApprovedOnlyForTheNodesOwnAddresses()
    {
        await Admin.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } });
        // A patch, since node IPAM writes the Node meanwhile.
        await Admin.CoreV1.PatchNodeStatusAsync(
            new V1Patch("""{"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.5"},{"type":"Hostname","address":"host-1"}]}}""", V1Patch.PatchType.MergePatch), "n1");
        using Kubernetes node = As("system:node:n1", "system:nodes");
        string[] usages = ["digital signature", "key encipherment", "server auth"];
        await node.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("serving-foreign", CertificateRequestPem.Create("CN=system:node:n1, O=system:nodes", ["n1"], [IPAddress.Parse("10.9.9.9")]), Signers.KubeletServing, usages));
        await node.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("serving-own", CertificateRequestPem.Create("CN=system:node:n1, O=system:nodes", ["n1", "host-1"], [IPAddress.Parse("10.0.0.5")]), Signers.KubeletServing, usages));

        V1CertificateSigningRequest issued = await IssuedAsync("serving-own");
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(issued.Status.Certificate));
        Assert.True(KeyUsages.Carries(certificate, KeyUsages.ServerAuthOid));
        Assert.False(KeyUsages.Carries(certificate, KeyUsages.ClientAuthOid));
        X509SubjectAlternativeNameExtension sans = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["n1", "host-1"], sans.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("10.0.0.5")], sans.EnumerateIPAddresses());

        // Queued first and judged already: a foreign address keeps it pending.
        Assert.Null((await Admin.CertificatesV1.ReadCertificateSigningRequestAsync("serving-foreign")).Status?.Conditions);
    }

    [Fact]
    public async Task AClientRequestIsSignedOnceApprovedForItsExpirationSecondsAndAuthenticates()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await Admin.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("jane", CertificateRequestPem.Create(key, "CN=jane, O=developers"), Signers.KubeApiServerClient, ["client auth"], expirationSeconds: 600));
        await Admin.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("serving-usage", CertificateRequestPem.Create("CN=bob"), Signers.KubeApiServerClient, ["server auth"]));
        foreach (string name in new[] { "jane", "serving-usage" })
        {
            V1CertificateSigningRequest csr = await Admin.CertificatesV1.ReadCertificateSigningRequestAsync(name);
            Assert.Null(csr.Status?.Conditions);
            csr.Status = new V1CertificateSigningRequestStatus { Conditions = [new V1CertificateSigningRequestCondition { Type = "Approved", Status = "True", Reason = "Test" }] };
            await Admin.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(csr, name);
        }

        V1CertificateSigningRequest issued = await IssuedAsync("jane");
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(issued.Status.Certificate));
        Assert.Equal(TimeSpan.FromMinutes(10) + CertificateIssuer.Backdate, certificate.NotAfter - certificate.NotBefore);
        Assert.True(KeyUsages.Carries(certificate, KeyUsages.ClientAuthOid));
        using Kubernetes jane = new(new KubernetesClientConfiguration
        {
            Host = $"https://127.0.0.1:{_host.Server.Port}",
            SslCaCerts = [X509CertificateLoader.LoadCertificate(_host.Server.Pki.Ca.RawData)],
            ClientCertificateData = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())),
            ClientCertificateKeyData = Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem())),
        });
        V1SelfSubjectReview whoami = await jane.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("jane", whoami.Status.UserInfo.Username);
        Assert.Contains("developers", whoami.Status.UserInfo.Groups);

        V1CertificateSigningRequest failed = await Polling.Eventually(
            () => Admin.CertificatesV1.ReadCertificateSigningRequestAsync("serving-usage"), c => CsrConditions.Has(c, CsrConditions.Failed), "the signer fails a server-auth client request");
        V1CertificateSigningRequestCondition condition = failed.Status.Conditions.Single(c => c.Type == "Failed");
        Assert.Equal(("SignerValidationFailure", "invalid usage for client certificate: server auth"), (condition.Reason, condition.Message));
        Assert.False(CsrConditions.Issued(failed));
    }
}
