using System.Net;
using System.Text;
using k8s;
using k8s.Models;
using Navarch.ApiServer.Tests.Authorization;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Registry.Certificates;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequests against a real API server under RBAC: who asked is the server's
/// to say, the spec is immutable, conditions move only through /approval and the certificate only through /status,
/// each needing its verb on the signer, with Kubernetes' validation messages.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CertificateSigningRequestTests(RbacServer server) : IClassFixture<RbacServer>
{
    private const string Client = "kubernetes.io/kube-apiserver-client";

    private static V1CertificateSigningRequest Csr(string name, string subject = "CN=someone", string signer = Client, IList<string>? usages = null, int? expirationSeconds = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1CertificateSigningRequestSpec
        {
            Request = CertificateRequestPem.Create(subject),
            SignerName = signer,
            Usages = usages ?? ["client auth"],
            ExpirationSeconds = expirationSeconds,
            Username = "someone-else",
            Groups = ["system:masters"],
        },
    };

    private static V1CertificateSigningRequestCondition Condition(string type) => new() { Type = type, Status = "True", Reason = "Test", Message = "by a test" };

    [Fact]
    public async Task CreateRecordsTheRequesterWhateverTheBodySays()
    {
        using Kubernetes u = server.As(RbacServer.UToken);
        await server.GrantAsync("csr-create-u", RbacServer.User("u"), null, RbacServer.Rule("certificates.k8s.io", "certificatesigningrequests", "create", "get"));

        V1CertificateSigningRequest created = await u.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("by-u"));

        Assert.Equal("u", created.Spec.Username);
        Assert.Equal("u-uid", created.Spec.Uid);
        Assert.Equal(["a", "b", "system:authenticated"], created.Spec.Groups);
        Assert.Null(created.Status?.Conditions);
    }

    [Theory]
    [InlineData("bad-request", "spec.request: Invalid value: \"<request data>\": PEM block type must be CERTIFICATE REQUEST")]
    [InlineData("no-usages", "spec.usages: Required value")]
    [InlineData("unknown-usage", "spec.usages[0]: Unsupported value: \"flying\": supported values:")]
    [InlineData("legacy", "spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version")]
    [InlineData("unqualified", "spec.signerName: Invalid value: \"signer\": must be a fully qualified domain and path of the form 'example.com/signer-name'")]
    [InlineData("short", "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)")]
    public async Task InvalidRequestsAreRefusedWithKubernetesMessages(string name, string message)
    {
        V1CertificateSigningRequest csr = Csr(name);
        switch (name)
        {
            case "bad-request": csr.Spec.Request = Encoding.ASCII.GetBytes("not a request"); break;
            case "no-usages": csr.Spec.Usages = []; break;
            case "unknown-usage": csr.Spec.Usages = ["flying"]; break;
            case "legacy": csr.Spec.SignerName = "kubernetes.io/legacy-unknown"; break;
            case "unqualified": csr.Spec.SignerName = "signer"; break;
            default: csr.Spec.ExpirationSeconds = 599; break;
        }

        (HttpStatusCode code, string text) = await RbacServer.RefusedAsync(() => server.Admin.CertificatesV1.CreateCertificateSigningRequestAsync(csr));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains($"CertificateSigningRequest.certificates.k8s.io \"{name}\" is invalid: ", text, StringComparison.Ordinal);
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoClientCertificateForSystemMasters()
    {
        (HttpStatusCode code, string message) = await RbacServer.RefusedAsync(() => server.Admin.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("masters", "CN=root, O=system:masters")));

        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("certificatesigningrequests.certificates.k8s.io \"masters\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed", message);
    }

    [Fact]
    public async Task ApprovalThenCertificateThroughTheirSubresourcesOnly()
    {
        V1CertificateSigningRequest csr = await server.Admin.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("flow"));

        // A main-resource update keeps the spec and status: they are not the client's to change there.
        csr.Spec.SignerName = "example.com/other";
        csr.Status = new V1CertificateSigningRequestStatus { Conditions = [Condition("Approved")] };
        V1CertificateSigningRequest updated = await server.Admin.CertificatesV1.ReplaceCertificateSigningRequestAsync(csr, "flow");
        Assert.Equal(Client, updated.Spec.SignerName);
        Assert.Null(updated.Status?.Conditions);

        // /status may not approve.
        updated.Status = new V1CertificateSigningRequestStatus { Conditions = [Condition("Approved")] };
        (HttpStatusCode code, string message) = await RbacServer.RefusedAsync(() => server.Admin.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(updated, "flow"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains("status.conditions: Forbidden: updates may not add a condition of type \"Approved\"", message, StringComparison.Ordinal);

        V1CertificateSigningRequest approved = await server.Admin.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(updated, "flow");
        V1CertificateSigningRequestCondition condition = Assert.Single(approved.Status.Conditions);
        Assert.Equal("Approved", condition.Type);
        Assert.NotNull(condition.LastUpdateTime);
        Assert.NotNull(condition.LastTransitionTime);

        // Approved and Denied exclude each other.
        approved.Status.Conditions.Add(Condition("Denied"));
        (code, message) = await RbacServer.RefusedAsync(() => server.Admin.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(approved, "flow"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains("status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive", message, StringComparison.Ordinal);

        // /approval does not carry a certificate, /status does — once.
        approved = await server.Admin.CertificatesV1.ReadCertificateSigningRequestAsync("flow");
        approved.Status.Certificate = Encoding.ASCII.GetBytes(server.Host.Server.Pki.Admin.ExportCertificatePem());
        V1CertificateSigningRequest notIssued = await server.Admin.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(approved, "flow");
        Assert.Null(notIssued.Status.Certificate);

        notIssued.Status.Certificate = approved.Status.Certificate;
        V1CertificateSigningRequest issued = await server.Admin.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(notIssued, "flow");
        Assert.Equal(approved.Status.Certificate, issued.Status.Certificate);

        issued.Status.Certificate = Encoding.ASCII.GetBytes(server.Host.Server.Pki.Serving.ExportCertificatePem());
        (code, message) = await RbacServer.RefusedAsync(() => server.Admin.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(issued, "flow"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains("status.certificate: Forbidden: updates may not modify existing certificate content", message, StringComparison.Ordinal);

        // Approval cannot be taken back.
        issued = await server.Admin.CertificatesV1.ReadCertificateSigningRequestAsync("flow");
        issued.Status.Conditions.Clear();
        (code, message) = await RbacServer.RefusedAsync(() => server.Admin.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(issued, "flow"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains("updates may not remove a condition of type \"Approved\"", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovingAndSigningNeedTheirVerbOnTheSigner()
    {
        await server.Admin.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("needs-approve"));
        await server.GrantAsync("csr-approval-alice", RbacServer.User("alice"), null,
            RbacServer.Rule("certificates.k8s.io", "certificatesigningrequests", "get"),
            RbacServer.Rule("certificates.k8s.io", "certificatesigningrequests/approval", "update"),
            RbacServer.Rule("certificates.k8s.io", "certificatesigningrequests/status", "update"));
        using Kubernetes alice = server.As(RbacServer.AliceToken);

        V1CertificateSigningRequest csr = await alice.CertificatesV1.ReadCertificateSigningRequestAsync("needs-approve");
        csr.Status = new V1CertificateSigningRequestStatus { Conditions = [Condition("Approved")] };
        (HttpStatusCode code, string message) = await RbacServer.RefusedAsync(() => alice.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(csr, "needs-approve"));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("certificatesigningrequests.certificates.k8s.io \"needs-approve\" is forbidden: user not permitted to approve requests with signerName \"kubernetes.io/kube-apiserver-client\"", message);

        // The default approver role for this signer, bound to alice, is enough; so is the domain's wildcard for signing.
        await server.Admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "alice-approves-clients" },
            RoleRef = RbacServer.ClusterRoleRef("system:certificates.k8s.io:kube-apiserver-client-approver"),
            Subjects = [RbacServer.User("alice")],
        });
        V1CertificateSigningRequest approved = null!;
        await Polling.EventuallyPasses(async () => approved = await alice.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(csr, "needs-approve"), "alice's approval is accepted once the binding is seen");
        Assert.Equal("Approved", Assert.Single(approved.Status.Conditions).Type);

        approved.Status.Certificate = Encoding.ASCII.GetBytes(server.Host.Server.Pki.Admin.ExportCertificatePem());
        (code, message) = await RbacServer.RefusedAsync(() => alice.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(approved, "needs-approve"));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("certificatesigningrequests.certificates.k8s.io \"needs-approve\" is forbidden: user not permitted to sign requests with signerName \"kubernetes.io/kube-apiserver-client\"", message);

        await server.GrantAsync("csr-sign-alice", RbacServer.User("alice"), null, new V1PolicyRule { ApiGroups = ["certificates.k8s.io"], Resources = ["signers"], ResourceNames = ["kubernetes.io/*"], Verbs = ["sign"] });
        V1CertificateSigningRequest issued = null!;
        await Polling.EventuallyPasses(async () => issued = await alice.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(approved, "needs-approve"), "alice may sign for kubernetes.io/* once the binding is seen");
        Assert.NotNull(issued.Status.Certificate);
    }

    [Fact]
    public async Task SignerNameIsAFieldSelectorAndKubectlSeesItsColumns()
    {
        await server.Admin.CertificatesV1.CreateCertificateSigningRequestAsync(Csr("listed", signer: "example.com/listed", expirationSeconds: 3600));

        V1CertificateSigningRequestList list = await server.Admin.CertificatesV1.ListCertificateSigningRequestAsync(fieldSelector: "spec.signerName=example.com/listed");
        Assert.Equal("listed", Assert.Single(list.Items).Metadata.Name);

        (HttpStatusCode code, string table) = await server.SendAsync(null, HttpMethod.Get, "/apis/certificates.k8s.io/v1/certificatesigningrequests/listed", headers: [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")]);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Contains("\"example.com/listed\",\"system:admin\",\"60m\",\"Pending\"", table, StringComparison.Ordinal);
    }
}
