using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Navarch.Api.Certificates;

/// <summary>
/// Issues leaf certificates signed by a CA — the one place Navarch makes them: the server's own certificates, the
/// certificates of joining agents, and the CSR signer (Kubernetes' <c>authority.CertificateAuthority.Sign</c>). Every
/// certificate says what it is for: the key usages and the client or server authentication EKU asked for. The CA's
/// key may be ECDSA (Navarch's own) or RSA (a custom CA).
/// </summary>
public static class CertificateIssuer
{
    /// <summary>How far back a certificate's validity starts, for clocks a little behind (Kubernetes' signer backdates 5 minutes).</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A certificate for <paramref name="publicKey"/> named <paramref name="subject"/>, signed by <paramref name="ca"/> (which
    /// must hold its private key), valid from <paramref name="now"/> less <see cref="Backdate"/> for
    /// <paramref name="lifetime"/> — but never outside the CA's own validity. <paramref name="usages"/> are
    /// <c>spec.usages</c> values (<see cref="KeyUsages"/>).
    /// </summary>
    public static X509Certificate2 Issue(
        X509Certificate2 ca,
        PublicKey publicKey,
        X500DistinguishedName subject,
        IReadOnlyCollection<string> usages,
        X509Extension? subjectAlternativeNames,
        DateTimeOffset now,
        TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var request = new CertificateRequest(subject, publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        X509KeyUsageFlags flags = KeyUsages.Flags(usages);
        if (flags != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(flags, true));
        }

        OidCollection extended = KeyUsages.ExtendedUsages(usages);
        if (extended.Count > 0)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(extended, false));
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
        if (AuthorityKeyIdentifier(ca) is { } authorityKeyId)
        {
            request.CertificateExtensions.Add(authorityKeyId);
        }

        if (subjectAlternativeNames is not null)
        {
            request.CertificateExtensions.Add(subjectAlternativeNames);
        }

        // .NET refuses a validity outside the issuer's; Kubernetes' signer caps NotAfter at the CA's too.
        DateTimeOffset notBefore = Max(now - Backdate, new DateTimeOffset(ca.NotBefore.ToUniversalTime()));
        DateTimeOffset notAfter = Min(now + lifetime, new DateTimeOffset(ca.NotAfter.ToUniversalTime()));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        return Sign(request, ca, notBefore, notAfter, serial);
    }

    /// <summary>
    /// <paramref name="request"/> signed by <paramref name="ca"/>'s private key, ECDSA (Navarch's own CAs) or RSA (a
    /// custom CA; PKCS #1 v1.5, as Go's <c>x509.CreateCertificate</c> signs with one), whatever the request's own key:
    /// .NET's <c>Create(issuerCertificate, ...)</c> wants both of one algorithm. The caller keeps the validity within
    /// the CA's and adds the authority key identifier.
    /// </summary>
    public static X509Certificate2 Sign(CertificateRequest request, X509Certificate2 ca, DateTimeOffset notBefore, DateTimeOffset notAfter, byte[] serial)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(ca);
        using ECDsa? ecdsa = ca.GetECDsaPrivateKey();
        using RSA? rsa = ecdsa is null ? ca.GetRSAPrivateKey() : null;
        X509SignatureGenerator generator = ecdsa is not null ? X509SignatureGenerator.CreateForECDsa(ecdsa)
            : rsa is not null ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
            : throw new ArgumentException($"the CA {ca.Subject} has no ECDSA or RSA private key", nameof(ca));
        return request.Create(ca.SubjectName, generator, notBefore, notAfter, serial);
    }

    /// <summary>
    /// The authority key identifier of a certificate <paramref name="ca"/> signs: its subject key identifier, as Go
    /// copies it; none when the CA has none (a custom CA made without one).
    /// </summary>
    public static X509Extension? AuthorityKeyIdentifier(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any()
            ? X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false)
            : null;
    }

    /// <summary>
    /// A certificate with a fresh P-256 key (which it carries) for <paramref name="subject"/>: how the server makes its
    /// own leaf certificates.
    /// </summary>
    public static X509Certificate2 IssueWithNewKey(
        X509Certificate2 ca,
        string subject,
        IReadOnlyCollection<string> usages,
        X509Extension? subjectAlternativeNames,
        DateTimeOffset now,
        TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var probe = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        using X509Certificate2 issued = Issue(ca, probe.PublicKey, new X500DistinguishedName(subject), usages, subjectAlternativeNames, now, lifetime);
        return X509Certificate2.CreateFromPem(issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The usages of a client certificate: Kubernetes' <c>digital signature, key encipherment, client auth</c>.</summary>
    public static IReadOnlyCollection<string> ClientUsages { get; } = [KeyUsages.DigitalSignature, KeyUsages.KeyEncipherment, KeyUsages.ClientAuth];

    /// <summary>The usages of a serving certificate: <c>digital signature, key encipherment, server auth</c>.</summary>
    public static IReadOnlyCollection<string> ServingUsages { get; } = [KeyUsages.DigitalSignature, KeyUsages.KeyEncipherment, KeyUsages.ServerAuth];

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
