using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Navarch.Api.Certificates;

namespace Navarch.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's csrsigning controller (pkg/controller/certificates/signer): signs approved requests for
/// <c>kubernetes.io/kube-apiserver-client</c>, <c>kube-apiserver-client-kubelet</c> and <c>kubelet-serving</c> with the
/// cluster CA (<c>--cluster-signing-cert-file</c>), for <c>--cluster-signing-duration</c> or the shorter
/// <c>spec.expirationSeconds</c> (at least 10 minutes), with the subject, SANs and usages the request asks for.
/// A request its signer's rules refuse gets a Failed condition (SignerValidationFailure) instead; requests for
/// other signers are left alone.
/// </summary>
public sealed class CsrSigningController : CertificateController
{
    private static readonly TimeSpan MinimumDuration = TimeSpan.FromMinutes(10);

    private readonly X509Certificate2 _ca;
    private readonly TimeSpan _duration;

    /// <summary>Creates the signer over the shared CSR informer, signing with <paramref name="ca"/> (which holds its key).</summary>
    public CsrSigningController(ControllerContext context, X509Certificate2 ca, TimeSpan duration)
        : base("csrsigning", context)
    {
        _ca = ca;
        _duration = duration;
    }

    /// <inheritdoc />
    protected override async Task HandleAsync(V1CertificateSigningRequest csr, CancellationToken cancellationToken)
    {
        if (!CsrConditions.Has(csr, CsrConditions.Approved) || CsrConditions.Has(csr, CsrConditions.Failed)
            || SignerRules.For(csr.Spec.SignerName) is not { } rule)
        {
            return;
        }

        CertificateRequests request;
        try
        {
            request = CertificateRequests.Parse(csr.Spec.Request);
        }
        catch (FormatException e)
        {
            Log.Unparseable(Logger, csr.Metadata.Name, e.Message);
            return;
        }

        csr.Status ??= new V1CertificateSigningRequestStatus();
        IReadOnlyCollection<string> usages = [.. csr.Spec.Usages ?? []];
        if (rule(request, usages) is { } refusal)
        {
            csr.Status.Conditions ??= [];
            csr.Status.Conditions.Add(new V1CertificateSigningRequestCondition
            {
                Type = CsrConditions.Failed,
                Status = "True",
                Reason = "SignerValidationFailure",
                Message = refusal,
                LastUpdateTime = Time.GetUtcNow().UtcDateTime,
            });
            Log.Refused(Logger, csr.Metadata.Name, refusal);
        }
        else
        {
            using X509Certificate2 certificate = CertificateIssuer.Issue(
                _ca, request.Request.PublicKey, request.Request.SubjectName, usages, request.SubjectAlternativeNames, Time.GetUtcNow(), Duration(csr.Spec.ExpirationSeconds));
            csr.Status.Certificate = Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n");
            DateTime notAfter = certificate.NotAfter.ToUniversalTime();
            Log.Signed(Logger, csr.Metadata.Name, csr.Spec.SignerName ?? "", notAfter);
        }

        try
        {
            await Client.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(csr, csr.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>The signer's duration, or the shorter one the request asks for, never under 10 minutes.</summary>
    private TimeSpan Duration(int? expirationSeconds)
    {
        if (expirationSeconds is not { } seconds)
        {
            return _duration;
        }

        TimeSpan requested = TimeSpan.FromSeconds(seconds);
        return requested > _duration ? _duration : requested < MinimumDuration ? MinimumDuration : requested;
    }
}
