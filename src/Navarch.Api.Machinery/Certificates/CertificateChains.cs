using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Navarch.Api.Certificates;

/// <summary>
/// How every Navarch component builds a certificate chain: against its own CA only, and never over the network. .NET
/// otherwise follows a certificate's Authority Information Access URLs to fetch missing issuers (and CRL/OCSP URLs to
/// check revocation) — for a client certificate, before anyone is authenticated, at any URL the client chose: a
/// server-side request forgery (issue 16). Go's x509.Verify, which Kubernetes uses, fetches nothing.
/// </summary>
public static class CertificateChains
{
    /// <summary>The clientAuth extended key usage (1.3.6.1.5.5.7.3.2).</summary>
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>The serverAuth extended key usage (1.3.6.1.5.5.7.3.1).</summary>
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// The policy for the chains TLS builds on its own during a handshake (set as <c>CertificateChainPolicy</c>): no
    /// downloads, no revocation fetches. Whether the certificate is trusted is decided afterwards by <see cref="Verify(X509Certificate2, X509Certificate2, string?, DateTimeOffset?)"/>.
    /// </summary>
    public static X509ChainPolicy Offline() => new()
    {
        DisableCertificateDownloads = true,
        RevocationMode = X509RevocationMode.NoCheck,
    };

    /// <summary>
    /// True when <paramref name="certificate"/> chains to <paramref name="ca"/> alone, offline, and — when
    /// <paramref name="usage"/> is given — may be used for it (a certificate with no extended key usage may be used
    /// for any, as in Go). Checked at <paramref name="at"/> (the caller's clock) or now.
    /// </summary>
    public static bool Verify(X509Certificate2 certificate, X509Certificate2 ca, string? usage, DateTimeOffset? at = null) =>
        Verify(certificate, [ca], usage, at);

    /// <summary>
    /// True when <paramref name="certificate"/> chains to one of <paramref name="roots"/> (a CA bundle: during a CA
    /// rotation, the new CA and the one it replaces), offline, through any of <paramref name="intermediates"/> (what the
    /// peer sent after its certificate, as Go's <c>VerifyOptions.Intermediates</c>: during a CA rotation, the new CA
    /// cross-signed by the old one); otherwise as <see cref="Verify(X509Certificate2, X509Certificate2, string?, DateTimeOffset?)"/>.
    /// </summary>
    public static bool Verify(X509Certificate2 certificate, IEnumerable<X509Certificate2> roots, string? usage, DateTimeOffset? at = null, IEnumerable<X509Certificate2>? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(roots);
        using var chain = new X509Chain();
        chain.ChainPolicy = Offline();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        foreach (X509Certificate2 root in roots)
        {
            chain.ChainPolicy.CustomTrustStore.Add(root);
        }

        foreach (X509Certificate2 intermediate in intermediates ?? [])
        {
            chain.ChainPolicy.ExtraStore.Add(intermediate);
        }

        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
        }

        if (usage is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
        }
        else
        {
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreWrongUsage;
        }

        return chain.Build(certificate);
    }
}
