using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Navarch.Api.Certificates;

/// <summary>
/// The <c>spec.usages</c> values of a CertificateSigningRequest and what each means in an X.509 certificate
/// (k8s.io/api/certificates/v1's KeyUsage and the signer's keyUsagesFromStrings).
/// </summary>
public static class KeyUsages
{
    /// <summary><c>digital signature</c>.</summary>
    public const string DigitalSignature = "digital signature";

    /// <summary><c>key encipherment</c>.</summary>
    public const string KeyEncipherment = "key encipherment";

    /// <summary><c>client auth</c>: the certificate authenticates a client (TLS client EKU).</summary>
    public const string ClientAuth = "client auth";

    /// <summary><c>server auth</c>: the certificate authenticates a server (TLS server EKU).</summary>
    public const string ServerAuth = "server auth";

    /// <summary>The OID of the TLS server authentication extended key usage.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>The OID of the TLS client authentication extended key usage.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private static readonly Dictionary<string, X509KeyUsageFlags> KeyUsageFlags = new(StringComparer.Ordinal)
    {
        ["signing"] = X509KeyUsageFlags.DigitalSignature,
        [DigitalSignature] = X509KeyUsageFlags.DigitalSignature,
        ["content commitment"] = X509KeyUsageFlags.NonRepudiation,
        [KeyEncipherment] = X509KeyUsageFlags.KeyEncipherment,
        ["key agreement"] = X509KeyUsageFlags.KeyAgreement,
        ["data encipherment"] = X509KeyUsageFlags.DataEncipherment,
        ["cert sign"] = X509KeyUsageFlags.KeyCertSign,
        ["crl sign"] = X509KeyUsageFlags.CrlSign,
        ["encipher only"] = X509KeyUsageFlags.EncipherOnly,
        ["decipher only"] = X509KeyUsageFlags.DecipherOnly,
    };

    private static readonly Dictionary<string, string> ExtendedKeyUsageOids = new(StringComparer.Ordinal)
    {
        ["any"] = "2.5.29.37.0",
        [ServerAuth] = ServerAuthOid,
        [ClientAuth] = ClientAuthOid,
        ["code signing"] = "1.3.6.1.5.5.7.3.3",
        ["email protection"] = "1.3.6.1.5.5.7.3.4",
        ["s/mime"] = "1.3.6.1.5.5.7.3.4",
        ["ipsec end system"] = "1.3.6.1.5.5.7.3.5",
        ["ipsec tunnel"] = "1.3.6.1.5.5.7.3.6",
        ["ipsec user"] = "1.3.6.1.5.5.7.3.7",
        ["timestamping"] = "1.3.6.1.5.5.7.3.8",
        ["ocsp signing"] = "1.3.6.1.5.5.7.3.9",
        ["microsoft sgc"] = "1.3.6.1.4.1.311.10.3.3",
        ["netscape sgc"] = "2.16.840.1.113730.4.1",
    };

    /// <summary>Every value <c>spec.usages</c> accepts, sorted as Kubernetes lists them in its NotSupported message.</summary>
    public static IReadOnlyList<string> All { get; } = [.. KeyUsageFlags.Keys.Concat(ExtendedKeyUsageOids.Keys).Order(StringComparer.Ordinal)];

    /// <summary>The key usage bits <paramref name="usages"/> ask for.</summary>
    public static X509KeyUsageFlags Flags(IEnumerable<string> usages) =>
        usages.Aggregate(X509KeyUsageFlags.None, (flags, u) => flags | KeyUsageFlags.GetValueOrDefault(u));

    /// <summary>The extended key usages <paramref name="usages"/> ask for (each once).</summary>
    public static OidCollection ExtendedUsages(IEnumerable<string> usages)
    {
        var oids = new OidCollection();
        foreach (string oid in usages.Select(u => ExtendedKeyUsageOids.GetValueOrDefault(u)).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            oids.Add(new Oid(oid));
        }

        return oids;
    }

    /// <summary>True when <paramref name="certificate"/> names the extended key usage <paramref name="oid"/> (or any) in its EKU extension.</summary>
    public static bool Carries(X509Certificate2 certificate, string oid)
    {
        X509EnhancedKeyUsageExtension? eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        return eku is not null && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == oid || o.Value == "2.5.29.37.0");
    }
}
