using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Navarch.Testing;

/// <summary>
/// A serving certificate for a test's HTTPS server (a webhook, an extension API server): a fresh CA of its own (its
/// PEM is the caBundle a webhook or APIService names) that signed a leaf for the given IP addresses and DNS names.
/// </summary>
public static class TestServingCertificate
{
    /// <summary>The leaf with its key, and the PEM of the CA that signed it.</summary>
    public static (X509Certificate2 Serving, byte[] CaBundle) Create(IEnumerable<IPAddress> addresses, IEnumerable<string> dnsNames)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(dnsNames);

        // One reading of the clock for both: .NET refuses a leaf whose validity leaves its issuer's by even a tick.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test-serving-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test-server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (IPAddress address in addresses)
        {
            names.AddIpAddress(address);
        }

        foreach (string name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using X509Certificate2 signed = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        return (signed.CopyWithPrivateKey(key), Encoding.ASCII.GetBytes(ca.ExportCertificatePem()));
    }
}
