using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Navarch.ApiServer.Join;

/// <summary>
/// Signs a joining agent's certificate requests with the cluster CA (k3s's supervisor does the same): the kubelet
/// client certificate (<c>CN=system:node:&lt;name&gt;, O=system:nodes</c>, client auth), the kubelet serving
/// certificate (same subject, server auth, the node name plus the DNS names and IP addresses the request asks for) and
/// the proxy's client certificate (<c>CN=system:kube-proxy</c>). The subject is the server's choice, never the
/// request's; the agent keeps its private keys.
/// </summary>
internal static class AgentCertificateSigner
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>The subject of a node's kubelet certificates.</summary>
    public static string NodeSubject(string nodeName) => $"CN={JoinProtocol.NodeUser(nodeName)}, O={JoinProtocol.NodesGroup}";

    /// <summary>The subject of an agent's proxy certificate (bound to <c>system:node-proxier</c>).</summary>
    public const string KubeProxySubject = "CN=" + JoinProtocol.KubeProxyUser;

    /// <summary>
    /// The certificate (PEM) for <paramref name="csrPem"/> with <paramref name="subject"/>, valid for a year: a client
    /// certificate, or with <paramref name="serving"/> a serving one for node <paramref name="nodeName"/>.
    /// </summary>
    /// <exception cref="CryptographicException">The request is not a valid, self-signed PKCS#10 request.</exception>
    public static string Sign(X509Certificate2 ca, string csrPem, string subject, string nodeName, bool serving, DateTimeOffset now)
    {
        CertificateRequest csr = CertificateRequest.LoadSigningRequestPem(
            csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var request = new CertificateRequest(new X500DistinguishedName(subject), csr.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serving ? ServerAuth : ClientAuth)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (serving)
        {
            var sans = new SubjectAlternativeNameBuilder();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { nodeName };
            var addresses = new HashSet<System.Net.IPAddress>();
            foreach (X509SubjectAlternativeNameExtension asked in csr.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>())
            {
                names.UnionWith(asked.EnumerateDnsNames());
                addresses.UnionWith(asked.EnumerateIPAddresses());
            }

            foreach (string name in names)
            {
                sans.AddDnsName(name);
            }

            foreach (System.Net.IPAddress address in addresses)
            {
                sans.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(sans.Build());
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using X509Certificate2 cert = request.Create(ca, now.AddMinutes(-5), now.AddYears(1), serial);
        return cert.ExportCertificatePem();
    }
}
