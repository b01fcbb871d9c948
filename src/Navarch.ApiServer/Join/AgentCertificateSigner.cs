using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.Api.Certificates;

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
        X509Extension? sans = null;
        if (serving)
        {
            var builder = new SubjectAlternativeNameBuilder();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { nodeName };
            var addresses = new HashSet<System.Net.IPAddress>();
            foreach (X509SubjectAlternativeNameExtension asked in csr.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>())
            {
                names.UnionWith(asked.EnumerateDnsNames());
                addresses.UnionWith(asked.EnumerateIPAddresses());
            }

            foreach (string name in names)
            {
                builder.AddDnsName(name);
            }

            foreach (System.Net.IPAddress address in addresses)
            {
                builder.AddIpAddress(address);
            }

            sans = builder.Build();
        }

        using X509Certificate2 cert = CertificateIssuer.Issue(
            ca, csr.PublicKey, new X500DistinguishedName(subject), serving ? CertificateIssuer.ServingUsages : CertificateIssuer.ClientUsages, sans, now, Pki.CertificateLifetimes.Leaf);
        return cert.ExportCertificatePem();
    }
}
