using k8s.Models;
using Navarch.Api.Certificates;

namespace Navarch.Api.Strategies.Certificates;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequest (pkg/registry/certificates/certificates/strategy.go): the spec is
/// immutable and the status is written only through <c>/status</c> (the certificate) and <c>/approval</c> (the
/// Approved and Denied conditions), both served by the API server's CSR REST; who asked is filled in by the API server
/// on create; <c>spec.signerName</c> is a selectable field; the table is kubectl's.
/// </summary>
internal static class CertificateSigningRequestStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1CertificateSigningRequest> Create() => new()
    {
        HasStatus = true,
        NameRule = CertificateSigningRequestValidation.NameRule,
        Validation = CertificateSigningRequestValidation.ValidateCreate,
        UpdateValidation = CertificateSigningRequestValidation.ValidateUpdate,
        OnUpdate = (csr, old) => csr.Spec = old.Spec,
        Fields = csr => [new("spec.signerName", csr.Spec?.SignerName ?? "")],
        Columns =
        [
            TableColumn.AgeColumn,
            new("SignerName", "string", "", "signerName indicates the requested signer, and is a qualified name."),
            new("Requestor", "string", "", "request contains an x509 certificate signing request encoded in a \"CERTIFICATE REQUEST\" PEM block."),
            new("RequestedDuration", "string", "", "expirationSeconds is the requested duration of validity of the issued certificate."),
            new("Condition", "string", "", "conditions applied to the request. Known conditions are \"Approved\", \"Denied\", and \"Failed\"."),
        ],
        Cells = (csr, now) =>
        [
            Age.Of(csr.Metadata.CreationTimestamp, now),
            csr.Spec?.SignerName ?? "<none>",
            csr.Spec?.Username ?? "",
            csr.Spec?.ExpirationSeconds is { } seconds ? Age.Human(TimeSpan.FromSeconds(seconds)) : "<none>",
            CsrConditions.Summary(csr),
        ],
    };
}
