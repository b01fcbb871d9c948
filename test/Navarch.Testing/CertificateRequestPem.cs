using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Navarch.Testing;

/// <summary>PKCS#10 requests for CertificateSigningRequest tests: a fresh P-256 key, the subject and SANs asked for.</summary>
public static class CertificateRequestPem
{
    /// <summary>The PEM request (as bytes, the form <c>spec.request</c> takes) for <paramref name="subject"/>, signed by <paramref name="key"/>.</summary>
    public static byte[] Create(ECDsa key, string subject, IEnumerable<string>? dnsNames = null, IEnumerable<IPAddress>? addresses = null)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dnsNames is not null || addresses is not null)
        {
            var sans = new SubjectAlternativeNameBuilder();
            foreach (string name in dnsNames ?? [])
            {
                sans.AddDnsName(name);
            }

            foreach (IPAddress address in addresses ?? [])
            {
                sans.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(sans.Build());
        }

        return Encoding.ASCII.GetBytes(request.CreateSigningRequestPem());
    }

    /// <summary>A request with a new key (which is disposed: for tests that never use the certificate).</summary>
    public static byte[] Create(string subject, IEnumerable<string>? dnsNames = null, IEnumerable<IPAddress>? addresses = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Create(key, subject, dnsNames, addresses);
    }
}
