using System.Security.Cryptography.X509Certificates;

namespace Navarch.ApiServer.Pki;

/// <summary>
/// How long Navarch's certificates live and when they are renewed, as k3s: leaf certificates for a year, renewed when
/// expired or within 90 days of expiry (at every start, and while running); the CA for ten years.
/// </summary>
public static class CertificateLifetimes
{
    /// <summary>A leaf certificate's lifetime.</summary>
    public static readonly TimeSpan Leaf = TimeSpan.FromDays(365);

    /// <summary>How long before expiry a leaf certificate is renewed.</summary>
    public static readonly TimeSpan RenewWithin = TimeSpan.FromDays(90);

    /// <summary>The CA's lifetime.</summary>
    public static readonly TimeSpan Ca = TimeSpan.FromDays(3650);

    /// <summary>True when <paramref name="certificate"/> has expired or expires within <see cref="RenewWithin"/> of <paramref name="now"/>.</summary>
    public static bool Due(X509Certificate2 certificate, DateTimeOffset now) =>
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime()) - now <= RenewWithin;

    /// <summary>What <c>navarch certificate check</c> says of <paramref name="certificate"/>: OK, WARNING (renewal due) or EXPIRED.</summary>
    public static string Status(X509Certificate2 certificate, DateTimeOffset now) =>
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime()) <= now ? "EXPIRED"
        : Due(certificate, now) && !IsCa(certificate) ? "WARNING"
        : "OK";

    /// <summary>True for a CA certificate (basic constraints CA).</summary>
    public static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
}
