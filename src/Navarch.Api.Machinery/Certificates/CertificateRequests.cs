using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Navarch.Api.Certificates;

/// <summary>
/// The PKCS#10 request of a CertificateSigningRequest (<c>spec.request</c>, a PEM "CERTIFICATE REQUEST" block), read
/// as Kubernetes' <c>certificates.ParseCSR</c> does, with the subject and subject alternative names the approver and
/// signers judge.
/// </summary>
public sealed class CertificateRequests
{
    private CertificateRequests(CertificateRequest request, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, int emailAddresses, int uris)
    {
        Request = request;
        DnsNames = dnsNames;
        IpAddresses = ipAddresses;
        EmailAddresses = emailAddresses;
        Uris = uris;
    }

    /// <summary>The request, its signature checked.</summary>
    public CertificateRequest Request { get; }

    /// <summary>The subject's common name, or "".</summary>
    public string CommonName => Request.SubjectName.GetSingle("2.5.4.3") ?? "";

    /// <summary>The subject's organizations, in order.</summary>
    public IReadOnlyList<string> Organizations => Request.SubjectName.All("2.5.4.10");

    /// <summary>The DNS names asked for.</summary>
    public IReadOnlyList<string> DnsNames { get; }

    /// <summary>The IP addresses asked for.</summary>
    public IReadOnlyList<IPAddress> IpAddresses { get; }

    /// <summary>How many e-mail addresses are asked for.</summary>
    public int EmailAddresses { get; }

    /// <summary>How many URIs are asked for.</summary>
    public int Uris { get; }

    /// <summary>
    /// Reads <paramref name="pem"/>; a malformed request or a bad signature throws <see cref="FormatException"/> with
    /// Kubernetes' message where it has one.
    /// </summary>
    public static CertificateRequests Parse(byte[]? pem)
    {
        string text = Encoding.ASCII.GetString(pem ?? []);
        if (!PemEncoding.TryFind(text, out PemFields fields) || text[fields.Label] != "CERTIFICATE REQUEST")
        {
            throw new FormatException("PEM block type must be CERTIFICATE REQUEST");
        }

        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequest(
                Convert.FromBase64String(text[fields.Base64Data]), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException e)
        {
            throw new FormatException(e.Message, e);
        }

        var dns = new List<string>();
        var ips = new List<IPAddress>();
        int emails = 0, uris = 0;
        foreach (X509Extension extension in request.CertificateExtensions.Where(e => e.Oid?.Value == "2.5.29.17"))
        {
            try
            {
                AsnReader names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (names.HasData)
                {
                    Asn1Tag tag = names.PeekTag();
                    switch (tag.TagClass == TagClass.ContextSpecific ? tag.TagValue : -1)
                    {
                        case 1:
                            emails++;
                            names.ReadEncodedValue();
                            break;
                        case 2:
                            dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                            break;
                        case 6:
                            uris++;
                            names.ReadEncodedValue();
                            break;
                        case 7:
                            ips.Add(new IPAddress(names.ReadOctetString(tag)));
                            break;
                        default:
                            names.ReadEncodedValue();
                            break;
                    }
                }
            }
            catch (Exception e) when (e is AsnContentException or ArgumentException)
            {
                throw new FormatException("x509: cannot parse the subject alternative names: " + e.Message, e);
            }
        }

        return new CertificateRequests(request, dns, ips, emails, uris);
    }

    /// <summary>The subject alternative name extension as asked, to copy into the certificate (null when none).</summary>
    public X509Extension? SubjectAlternativeNames => Request.CertificateExtensions.FirstOrDefault(e => e.Oid?.Value == "2.5.29.17");
}
