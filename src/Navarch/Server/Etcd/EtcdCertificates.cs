using System.Net;
using System.Security.Cryptography.X509Certificates;
using Navarch.Api.Certificates;
using Navarch.ApiServer;
using Navarch.ApiServer.Pki;

namespace Navarch.Server.Etcd;

/// <summary>
/// The embedded etcd's TLS files in <c>&lt;data-dir&gt;/server/tls/etcd/</c>, as k3s lays them out, all from the
/// cluster CA: <c>server-ca.crt</c> (trusted by etcd for clients and peers), <c>server-client</c> (etcd's serving
/// certificate), <c>peer-server-client</c> (peer traffic, client and server auth) and <c>client</c> (the API server's
/// and <c>navarch etcd</c>'s client certificate).
/// </summary>
internal sealed class EtcdCertificates(string tlsDir)
{
    /// <summary>The folder.</summary>
    public string Directory { get; } = tlsDir;

    /// <summary>The CA etcd trusts.</summary>
    public string CaFile => Path.Combine(Directory, "server-ca.crt");

    /// <summary>etcd's serving certificate.</summary>
    public string ServerCertFile => Path.Combine(Directory, "server-client.crt");

    /// <summary>Its key.</summary>
    public string ServerKeyFile => Path.Combine(Directory, "server-client.key");

    /// <summary>The peer certificate.</summary>
    public string PeerCertFile => Path.Combine(Directory, "peer-server-client.crt");

    /// <summary>Its key.</summary>
    public string PeerKeyFile => Path.Combine(Directory, "peer-server-client.key");

    /// <summary>The client certificate.</summary>
    public string ClientCertFile => Path.Combine(Directory, "client.crt");

    /// <summary>Its key.</summary>
    public string ClientKeyFile => Path.Combine(Directory, "client.key");

    /// <summary><c>&lt;data-dir&gt;/server/tls/etcd</c>.</summary>
    public static string DirectoryIn(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), "server", "tls", "etcd");

    /// <summary>
    /// Issues whatever is missing, due, or not signed by the current cluster CA; the serving and peer certificates name
    /// localhost, 127.0.0.1 and <paramref name="address"/>.
    /// </summary>
    public void Ensure(ClusterPki pki, IPAddress address, TimeProvider time)
    {
        PrivateFiles.CreateDirectory(Directory);
        DateTimeOffset now = time.GetUtcNow();
        PrivateFiles.Write(CaFile, ClusterPki.PemBundle(pki.TrustedCas));
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName("localhost");
        sans.AddIpAddress(IPAddress.Loopback);
        if (!address.Equals(IPAddress.Loopback))
        {
            sans.AddIpAddress(address);
        }

        X509Extension names = sans.Build();
        IReadOnlyCollection<string> both = [KeyUsages.DigitalSignature, KeyUsages.KeyEncipherment, KeyUsages.ServerAuth, KeyUsages.ClientAuth];
        EnsurePair(pki, ServerCertFile, ServerKeyFile, now, address, () => CertificateIssuer.IssueWithNewKey(pki.Ca, "CN=etcd-server", both, names, now, CertificateLifetimes.Leaf));
        EnsurePair(pki, PeerCertFile, PeerKeyFile, now, address, () => CertificateIssuer.IssueWithNewKey(pki.Ca, "CN=etcd-peer", both, names, now, CertificateLifetimes.Leaf));
        EnsurePair(pki, ClientCertFile, ClientKeyFile, now, null, () => CertificateIssuer.IssueWithNewKey(pki.Ca, "CN=etcd-client", CertificateIssuer.ClientUsages, null, now, CertificateLifetimes.Leaf));
    }

    /// <summary>The client certificate with its key.</summary>
    public X509Certificate2 LoadClient() => X509Certificate2.CreateFromPemFile(ClientCertFile, ClientKeyFile);

    /// <summary>The CAs etcd's serving certificate chains to.</summary>
    public X509Certificate2Collection LoadCa()
    {
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(CaFile);
        return ca;
    }

    private static void EnsurePair(ClusterPki pki, string crt, string key, DateTimeOffset now, IPAddress? address, Func<X509Certificate2> issue)
    {
        if (File.Exists(crt) && File.Exists(key))
        {
            using X509Certificate2 current = X509Certificate2.CreateFromPemFile(crt, key);
            bool namesAddress = address is null || current.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateIPAddresses()).Contains(address);
            if (namesAddress && !CertificateLifetimes.Due(current, now) && CertificateChains.Verify(current, pki.Ca, usage: null, now))
            {
                return;
            }
        }

        using X509Certificate2 issued = issue();
        PrivateFiles.Write(key, issued.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        PrivateFiles.Write(crt, issued.ExportCertificatePem() + "\n");
    }
}
