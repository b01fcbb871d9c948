using k8s.Models;
using Navarch.Api;
using Navarch.Api.Strategies.Certificates;

namespace Navarch.ApiServer.Registry.Certificates;

/// <summary>
/// What one write subresource of a CertificateSigningRequest may change — its strategy (csrStatusStrategy,
/// csrApprovalStrategy: PrepareForUpdate and ValidateUpdate) and the signer permission its admission plugin asks for
/// (CertificateSigning: <c>sign</c> when the certificate changes; CertificateApproval: <c>approve</c>, always).
/// </summary>
/// <param name="Prepare">Keeps what the subresource may not change from the stored object.</param>
/// <param name="Validate">The subresource's validation.</param>
/// <param name="Verb">The verb on the signer the writer needs for this change, or null when it needs none.</param>
internal sealed record CsrSubresource(
    Action<V1CertificateSigningRequest, V1CertificateSigningRequest> Prepare,
    Func<V1CertificateSigningRequest, V1CertificateSigningRequest, IReadOnlyList<FieldError>> Validate,
    Func<V1CertificateSigningRequest, V1CertificateSigningRequest, string?> Verb)
{
    /// <summary><c>/status</c>: everything in status but the Approved and Denied conditions (which validation guards); the certificate needs <c>sign</c>.</summary>
    public static CsrSubresource Status { get; } = new(
        (csr, old) => csr.Spec = old.Spec,
        CertificateSigningRequestValidation.ValidateStatusUpdate,
        (csr, old) => (csr.Status?.Certificate ?? []).AsSpan().SequenceEqual(old.Status?.Certificate ?? []) ? null : "sign");

    /// <summary><c>/approval</c>: the conditions only; needs <c>approve</c>.</summary>
    public static CsrSubresource Approval { get; } = new(
        (csr, old) =>
        {
            csr.Spec = old.Spec;
            csr.Status ??= new V1CertificateSigningRequestStatus();
            csr.Status.Certificate = old.Status?.Certificate;
        },
        CertificateSigningRequestValidation.ValidateApprovalUpdate,
        (_, _) => "approve");
}
