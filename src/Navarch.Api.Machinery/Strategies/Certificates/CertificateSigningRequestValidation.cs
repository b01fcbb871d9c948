using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Navarch.Api.Certificates;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Certificates;

/// <summary>
/// pkg/apis/certificates/validation for certificates.k8s.io/v1 CertificateSigningRequests: a signed PKCS#10 request,
/// known and distinct usages, a qualified signerName (not the legacy one), expirationSeconds of at least 600, the
/// Approved/Denied/Failed conditions True only and each at most once, Approved and Denied exclusive, a PEM
/// certificate. Updates may not remove those conditions; only the approval subresource may add or change Approved
/// or Denied, and only the status subresource may set the certificate, once. What existing data already breaks is
/// tolerated on update, as Kubernetes' getValidationOptions does.
/// </summary>
public static class CertificateSigningRequestValidation
{
    private static readonly string[] TrueOnly = ["True"];
    private static readonly string[] AnyStatus = ["False", "True", "Unknown"];

    /// <summary>A new request's own rules (metadata is the strategy's).</summary>
    internal static IEnumerable<FieldError> ValidateCreate(V1CertificateSigningRequest csr) => Validate(csr, Options.For(csr, null));

    /// <summary>An update of the main resource (metadata is the strategy's).</summary>
    internal static IEnumerable<FieldError> ValidateUpdate(V1CertificateSigningRequest csr, V1CertificateSigningRequest old) =>
        ValidateUpdate(csr, old, Options.For(csr, old));

    /// <summary>An update through <c>/status</c>: the certificate may be set, once.</summary>
    public static IReadOnlyList<FieldError> ValidateStatusUpdate(V1CertificateSigningRequest csr, V1CertificateSigningRequest old) =>
        [.. Metadata(csr), .. ValidateUpdate(csr, old, Options.For(csr, old) with { AllowSettingCertificate = true })];

    /// <summary>An update through <c>/approval</c>: Approved and Denied conditions may be added or changed.</summary>
    public static IReadOnlyList<FieldError> ValidateApprovalUpdate(V1CertificateSigningRequest csr, V1CertificateSigningRequest old) =>
        [.. Metadata(csr), .. ValidateUpdate(csr, old, Options.For(csr, old) with { AllowSettingApprovalConditions = true })];

    /// <summary>Kubernetes does not care what requests are called: any name that fits in a URL path segment.</summary>
    internal static NameRule NameRule => NameRule.PathSegment;

    private static IEnumerable<FieldError> Metadata(V1CertificateSigningRequest csr) => MetadataValidation.Validate(csr.Metadata, NameRule);

    private static IEnumerable<FieldError> ValidateUpdate(V1CertificateSigningRequest csr, V1CertificateSigningRequest old, Options options)
    {
        foreach (FieldError error in Validate(csr, options))
        {
            yield return error;
        }

        foreach (string type in new[] { CsrConditions.Approved, CsrConditions.Denied, CsrConditions.Failed })
        {
            if (Find(csr, type).Count < Find(old, type).Count)
            {
                yield return new FieldError(FieldErrorType.Forbidden, "status.conditions", null, $"updates may not remove a condition of type \"{type}\"");
            }
        }

        if (!options.AllowSettingApprovalConditions)
        {
            foreach (string type in new[] { CsrConditions.Approved, CsrConditions.Denied })
            {
                List<V1CertificateSigningRequestCondition> before = Find(old, type), after = Find(csr, type);
                if (after.Count > before.Count)
                {
                    yield return new FieldError(FieldErrorType.Forbidden, "status.conditions", null, $"updates may not add a condition of type \"{type}\"");
                }
                else if (after.Count == before.Count && !KubernetesSerialization.JsonEquals(before, after))
                {
                    yield return new FieldError(FieldErrorType.Forbidden, "status.conditions", null, $"updates may not modify a condition of type \"{type}\"");
                }
            }
        }

        byte[] certificate = csr.Status?.Certificate ?? [], oldCertificate = old.Status?.Certificate ?? [];
        if (!certificate.AsSpan().SequenceEqual(oldCertificate))
        {
            if (!options.AllowSettingCertificate)
            {
                yield return new FieldError(FieldErrorType.Forbidden, "status.certificate", null, "updates may not set certificate content");
            }
            else if (oldCertificate.Length > 0)
            {
                yield return new FieldError(FieldErrorType.Forbidden, "status.certificate", null, "updates may not modify existing certificate content");
            }
        }
    }

    private static IEnumerable<FieldError> Validate(V1CertificateSigningRequest csr, Options options)
    {
        V1CertificateSigningRequestSpec spec = csr.Spec ?? new V1CertificateSigningRequestSpec();
        string? requestProblem = null;
        try
        {
            CertificateRequests.Parse(spec.Request);
        }
        catch (FormatException e)
        {
            requestProblem = e.Message;
        }

        if (requestProblem is not null)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.request", "<request data>", requestProblem);
        }

        IList<string> usages = spec.Usages ?? [];
        if (usages.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.usages", null, "");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < usages.Count; i++)
        {
            if (!options.AllowUnknownUsages && !KeyUsages.All.Contains(usages[i], StringComparer.Ordinal))
            {
                yield return new SupportedValues([.. KeyUsages.All]).Check($"spec.usages[{i}]", usages[i])!;
            }

            if (!seen.Add(usages[i]) && !options.AllowDuplicateUsages)
            {
                yield return new FieldError(FieldErrorType.Duplicate, $"spec.usages[{i}]", usages[i], "");
            }
        }

        if (spec.SignerName == Signers.LegacyUnknown && !options.AllowLegacySignerName)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.signerName", spec.SignerName, "the legacy signerName is not allowed via this API version");
        }
        else if (spec.SignerName != Signers.LegacyUnknown)
        {
            foreach (FieldError error in SignerName("spec.signerName", spec.SignerName))
            {
                yield return error;
            }
        }

        if (spec.ExpirationSeconds is { } seconds && seconds < 600)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.expirationSeconds", seconds, "may not specify a duration less than 600 seconds (10 minutes)");
        }

        foreach (FieldError error in Conditions(csr, options))
        {
            yield return error;
        }

        if (!options.AllowArbitraryCertificate && CertificateProblem(csr.Status?.Certificate) is { } problem)
        {
            yield return new FieldError(FieldErrorType.Invalid, "status.certificate", "<certificate data>", problem);
        }
    }

    private static IEnumerable<FieldError> Conditions(V1CertificateSigningRequest csr, Options options)
    {
        IList<V1CertificateSigningRequestCondition> conditions = csr.Status?.Conditions ?? [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool approved = false, denied = false;
        for (int i = 0; i < conditions.Count; i++)
        {
            V1CertificateSigningRequestCondition c = conditions[i];
            string path = $"status.conditions[{i}]";
            if (string.IsNullOrEmpty(c.Type) && !options.AllowEmptyConditionType)
            {
                yield return new FieldError(FieldErrorType.Required, path + ".type", null, "");
            }

            string[] allowed = c.Type is CsrConditions.Approved or CsrConditions.Denied or CsrConditions.Failed ? TrueOnly : AnyStatus;
            if (string.IsNullOrEmpty(c.Status))
            {
                yield return new FieldError(FieldErrorType.Required, path + ".status", null, "");
            }
            else if (new SupportedValues(allowed).Check(path + ".status", c.Status) is { } error)
            {
                yield return error;
            }

            if (!options.AllowBothApprovedAndDenied)
            {
                approved |= c.Type == CsrConditions.Approved;
                denied |= c.Type == CsrConditions.Denied;
                if (approved && denied && c.Type is CsrConditions.Approved or CsrConditions.Denied)
                {
                    yield return new FieldError(FieldErrorType.Invalid, path + ".type", c.Type, "Approved and Denied conditions are mutually exclusive");
                }
            }

            if (!seen.Add(c.Type ?? "") && !options.AllowDuplicateConditionTypes)
            {
                yield return new FieldError(FieldErrorType.Duplicate, path + ".type", c.Type, "");
            }
        }
    }

    /// <summary>ValidateSignerName: <c>example.com/signer-name</c>, a domain of DNS labels with a dot, a path of subdomains.</summary>
    private static IEnumerable<FieldError> SignerName(string path, string? signerName)
    {
        if (string.IsNullOrEmpty(signerName))
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "");
            yield break;
        }

        string[] segments = signerName.Split('/');
        if (segments.Length != 2)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'");
            yield break;
        }

        if (segments[0].Length > 253)
        {
            yield return new FieldError(FieldErrorType.TooLong, path, segments[0], "may not be more than 253 bytes");
        }

        string[] domain = segments[0].Split('.');
        foreach (string label in domain)
        {
            if (MetadataValidation.NameProblems(label, NameRule.Label).ToList() is [_, ..] problems)
            {
                foreach (string problem in problems)
                {
                    yield return new FieldError(FieldErrorType.Invalid, path, segments[0], $"validating label \"{label}\": {problem}");
                }

                break;
            }
        }

        if (domain.Length < 2)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, segments[0], "should be a domain with at least two segments separated by dots");
        }

        foreach (string component in segments[1].Split('.'))
        {
            if (MetadataValidation.NameProblems(component, NameRule.Subdomain).ToList() is [_, ..] problems)
            {
                foreach (string problem in problems)
                {
                    yield return new FieldError(FieldErrorType.Invalid, path, segments[1], $"validating component \"{component}\": {problem}");
                }

                break;
            }
        }

        if (signerName.Length > 571)
        {
            yield return new FieldError(FieldErrorType.TooLong, path, signerName, "may not be more than 571 bytes");
        }
    }

    /// <summary>validateCertificate: one or more CERTIFICATE PEM blocks without headers, each a parseable certificate.</summary>
    private static string? CertificateProblem(byte[]? pem)
    {
        if (pem is not { Length: > 0 })
        {
            return null;
        }

        string text = Encoding.ASCII.GetString(pem);
        int blocks = 0;
        ReadOnlySpan<char> rest = text;
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            string label = rest[fields.Label].ToString();
            if (label != "CERTIFICATE")
            {
                return $"only CERTIFICATE PEM blocks are allowed, found \"{label}\"";
            }

            try
            {
                using X509Certificate2 _ = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[fields.Base64Data].ToString()));
            }
            catch (CryptographicException e)
            {
                return e.Message;
            }

            blocks++;
            rest = rest[fields.Location.End..];
        }

        return blocks == 0 ? "must contain at least one CERTIFICATE PEM block" : null;
    }

    private static List<V1CertificateSigningRequestCondition> Find(V1CertificateSigningRequest csr, string type) =>
        [.. csr.Status?.Conditions?.Where(c => c.Type == type) ?? []];

    /// <summary>getValidationOptions: what an update tolerates because the stored object already had it.</summary>
    private sealed record Options
    {
        public bool AllowSettingApprovalConditions { get; init; }

        public bool AllowSettingCertificate { get; init; }

        public bool AllowBothApprovedAndDenied { get; init; }

        public bool AllowLegacySignerName { get; init; }

        public bool AllowDuplicateConditionTypes { get; init; }

        public bool AllowEmptyConditionType { get; init; }

        public bool AllowArbitraryCertificate { get; init; }

        public bool AllowUnknownUsages { get; init; }

        public bool AllowDuplicateUsages { get; init; }

        public static Options For(V1CertificateSigningRequest csr, V1CertificateSigningRequest? old)
        {
            IList<V1CertificateSigningRequestCondition> conditions = old?.Status?.Conditions ?? [];
            IList<string> usages = old?.Spec?.Usages ?? [];
            return new Options
            {
                AllowBothApprovedAndDenied = conditions.Any(c => c.Type == CsrConditions.Approved) && conditions.Any(c => c.Type == CsrConditions.Denied),
                AllowLegacySignerName = old?.Spec?.SignerName == Signers.LegacyUnknown,
                AllowDuplicateConditionTypes = conditions.GroupBy(c => c.Type).Any(g => g.Count() > 1),
                AllowEmptyConditionType = conditions.Any(c => string.IsNullOrEmpty(c.Type)),
                AllowArbitraryCertificate = old is not null && ((csr.Status?.Certificate ?? []).AsSpan().SequenceEqual(old.Status?.Certificate ?? []) || CertificateProblem(old.Status?.Certificate) is not null),
                AllowUnknownUsages = usages.Any(u => !KeyUsages.All.Contains(u, StringComparer.Ordinal)),
                AllowDuplicateUsages = usages.Distinct(StringComparer.Ordinal).Count() != usages.Count,
            };
        }
    }
}
