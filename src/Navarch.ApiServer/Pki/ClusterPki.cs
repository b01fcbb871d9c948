using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Navarch.Api.Certificates;

namespace Navarch.ApiServer.Pki;

/// <summary>
/// The cluster's certificates: a CA generated on first start, a serving certificate with the SANs clients use,
/// and an admin client certificate (O=system:masters). Kept as PEM files under the data dir and reused on restart.
/// </summary>
public sealed class ClusterPki
{
    private ClusterPki(string dir, X509Certificate2 ca, X509Certificate2 serving, X509Certificate2 admin, X509Certificate2 kubeletClient, ECDsa serviceAccountKey)
    {
        Directory = dir;
        Ca = ca;
        Serving = serving;
        Admin = admin;
        KubeletClient = kubeletClient;
        ServiceAccountKey = serviceAccountKey;
    }

    /// <summary>The key service account tokens are signed with (ES256), kept as <c>service.key</c>.</summary>
    public ECDsa ServiceAccountKey { get; }

    /// <summary>The API server's client certificate towards kubelets (the only client a kubelet accepts).</summary>
    public X509Certificate2 KubeletClient { get; }

    /// <summary>Where the PEM files are.</summary>
    public string Directory { get; }

    /// <summary>The cluster CA (with its key).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The API server's serving certificate (with its key).</summary>
    public X509Certificate2 Serving { get; }

    /// <summary>The admin client certificate (with its key).</summary>
    public X509Certificate2 Admin { get; }

    /// <summary>Loads the certificates from <paramref name="dir"/>, creating whatever is missing.</summary>
    public static ClusterPki LoadOrCreate(string dir, IPAddress kubernetesServiceIp)
    {
        System.IO.Directory.CreateDirectory(dir);
        X509Certificate2 ca = LoadOrCreate(dir, "server-ca", () => CreateCa());
        X509Certificate2 serving = LoadOrCreate(dir, "serving-kube-apiserver", () => Issue(ca, "kube-apiserver", null, server: true, sans: ServingNames(kubernetesServiceIp)));
        X509Certificate2 admin = LoadOrCreate(dir, "client-admin", () => Issue(ca, "system:admin", "system:masters", server: false, sans: null));
        X509Certificate2 kubeletClient = LoadOrCreate(dir, "client-kube-apiserver", () => Issue(ca, "system:apiserver", "system:masters", server: false, sans: null));
        return new ClusterPki(dir, ca, serving, admin, kubeletClient, LoadOrCreateKey(Path.Combine(dir, "service.key")));
    }

    /// <summary>Issues a serving certificate for <paramref name="names"/> signed by the cluster CA (kubelets, tests).</summary>
    public X509Certificate2 IssueServing(string commonName, IEnumerable<string> names, IEnumerable<IPAddress> addresses)
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
        {
            sans.AddDnsName(name);
        }

        foreach (IPAddress address in addresses)
        {
            sans.AddIpAddress(address);
        }

        return Issue(Ca, commonName, null, server: true, sans: sans);
    }

    /// <summary>Issues a client certificate signed by the cluster CA (for components and tests).</summary>
    public X509Certificate2 IssueClient(string user, string? group) => Issue(Ca, user, group, server: false, sans: null);

    /// <summary>True when <paramref name="certificate"/> chains to the cluster CA (offline: nothing is fetched).</summary>
    public bool IsSignedByCa(X509Certificate2 certificate) => CertificateChains.Verify(certificate, Ca, usage: null);

    /// <summary>True when <paramref name="certificate"/> chains to the cluster CA and may authenticate a client (clientAuth), as Kubernetes' x509 authenticator requires.</summary>
    public bool IsClientCertificate(X509Certificate2 certificate) => CertificateChains.Verify(certificate, Ca, CertificateChains.ClientAuth);

    /// <summary>A kubeconfig for <paramref name="server"/> with the CA and the admin credentials embedded.</summary>
    public string AdminKubeconfig(string server) => Kubeconfig.Render(server, Ca.ExportCertificatePem(), Admin.ExportCertificatePem(), KeyPem(Admin));

    /// <summary>
    /// A kubeconfig for <paramref name="server"/> with the CA and a fresh client certificate of <paramref name="user"/>
    /// (in <paramref name="group"/>) embedded: how the server's own agent gets the credentials a joined agent is issued.
    /// </summary>
    public string ClientKubeconfig(string server, string user, string? group)
    {
        using X509Certificate2 client = IssueClient(user, group);
        return Kubeconfig.Render(server, Ca.ExportCertificatePem(), client.ExportCertificatePem(), KeyPem(client));
    }

    private static string KeyPem(X509Certificate2 cert) =>
        cert.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? throw new InvalidOperationException("certificate has no ECDSA key");

    private static ECDsa LoadOrCreateKey(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }

        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }

    private static X509Certificate2 LoadOrCreate(string dir, string name, Func<X509Certificate2> create)
    {
        string crt = Path.Combine(dir, name + ".crt"), key = Path.Combine(dir, name + ".key");
        if (File.Exists(crt) && File.Exists(key))
        {
            return X509Certificate2.CreateFromPemFile(crt, key);
        }

        X509Certificate2 cert = create();
        File.WriteAllText(key, KeyPem(cert));
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(crt, cert.ExportCertificatePem());
        return cert;
    }

    private static X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=navarch-server-ca@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string commonName, string? organization, bool server, SubjectAlternativeNameBuilder? sans)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string subject = organization is null ? $"CN={commonName}" : $"CN={commonName}, O={organization}";
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (sans is not null)
        {
            request.CertificateExtensions.Add(sans.Build());
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using X509Certificate2 cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1), serial);
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static SubjectAlternativeNameBuilder ServingNames(IPAddress kubernetesServiceIp)
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (string dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", Dns.GetHostName() })
        {
            sans.AddDnsName(dns);
        }

        var ips = new HashSet<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback, kubernetesServiceIp };
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (UnicastIPAddressInformation address in nic.GetIPProperties().UnicastAddresses)
            {
                if (!address.Address.IsIPv6LinkLocal)
                {
                    ips.Add(address.Address);
                }
            }
        }

        foreach (IPAddress ip in ips)
        {
            sans.AddIpAddress(ip);
        }

        return sans;
    }
}
