using System.Net;
using System.Net.NetworkInformation;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Navarch.Api.Certificates;

namespace Navarch.ApiServer.Pki;

/// <summary>
/// The cluster's certificates: a CA generated on first start (ten years), and the server's leaf certificates — the
/// serving certificate with the SANs clients use, the admin client certificate (O=system:masters) and the API
/// server's client certificate towards kubelets — each a year, renewed when expired, within 90 days of expiry or no
/// longer signed by the CA (<see cref="CertificateLifetimes"/>): at load and at every <see cref="Refresh"/>, which also
/// takes up certificates another process (<c>navarch certificate rotate</c>) wrote. Kept as PEM files under the data
/// dir; the current certificates are read through the properties, so a renewal reaches new connections at once.
/// After <c>navarch certificate rotate-ca</c> (<see cref="CaRotation"/>) the CA that signs is the new one, while the
/// trust roots (<see cref="TrustedCas"/>: client certificates, kubelets, kubeconfigs, <c>/cacerts</c>) are the new CA
/// and the one it replaced, and the new CA cross-signed by the old one is sent along with the serving certificate, so
/// clients and agents that trust only the old CA keep working through the transition.
/// </summary>
public sealed class ClusterPki
{
    /// <summary>The signing CA's files (<c>.crt</c>, <c>.key</c>).</summary>
    internal const string CaName = "server-ca";

    /// <summary>The CA(s) a rotation replaced, still trusted during the transition.</summary>
    internal const string PreviousCaFile = "server-ca-previous.crt";

    /// <summary>The signing CA cross-signed by the CA it replaced: the intermediate sent to clients that trust only the old one.</summary>
    internal const string CrossSignedCaFile = "server-ca-cross-signed.crt";

    /// <summary>The service account signing key.</summary>
    internal const string ServiceKeyFile = "service.key";

    private readonly TimeProvider _time;
    private readonly IPAddress _kubernetesServiceIp;
    private readonly IReadOnlyCollection<IPAddress> _servingAddresses;
    private readonly Dictionary<string, X509Certificate2> _leaves = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _written = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private SslStreamCertificateContext? _servingContext;
    private SslStreamCertificateContext? _kubeletClientContext;

    private ClusterPki(string dir, X509Certificate2 ca, ECDsa serviceAccountKey, IPAddress kubernetesServiceIp, TimeProvider time, IReadOnlyCollection<IPAddress> servingAddresses)
    {
        _servingAddresses = servingAddresses;
        Directory = dir;
        Ca = ca;
        TrustedCas = [ca, .. ReadCertificates(Path.Combine(dir, PreviousCaFile))];
        CaIntermediates = [.. ReadCertificates(Path.Combine(dir, CrossSignedCaFile))];
        CaBundlePem = PemBundle(TrustedCas);
        ServiceAccountKey = serviceAccountKey;
        _kubernetesServiceIp = kubernetesServiceIp;
        _time = time;
    }

    /// <summary>The server's leaf certificates, by file name (without extension).</summary>
    public static IReadOnlyList<string> LeafNames { get; } = ["serving-kube-apiserver", "client-admin", "client-kube-apiserver"];

    /// <summary>The key service account tokens are signed with (ES256), kept as <c>service.key</c>.</summary>
    public ECDsa ServiceAccountKey { get; }

    /// <summary>The API server's client certificate towards kubelets (the only client a kubelet accepts).</summary>
    public X509Certificate2 KubeletClient => Leaf("client-kube-apiserver");

    /// <summary>Where the PEM files are.</summary>
    public string Directory { get; }

    /// <summary>The cluster CA (with its key): the one that signs.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The trust roots: the signing CA, then (during a CA rotation) the one it replaced.</summary>
    public IReadOnlyList<X509Certificate2> TrustedCas { get; }

    /// <summary>The trust roots as PEM (kubeconfigs, <c>kube-root-ca.crt</c>, <c>/cacerts</c>; the join token hashes it).</summary>
    public string CaBundlePem { get; }

    /// <summary>The signing CA cross-signed by the CA it replaced, when a rotation installed one: sent after each leaf.</summary>
    public IReadOnlyList<X509Certificate2> CaIntermediates { get; }

    /// <summary>
    /// The serving certificate with the chain TLS sends (the cross-signed CA during a rotation), built once per serving
    /// certificate; the handshake sends it as is, fetching nothing.
    /// </summary>
    public SslStreamCertificateContext ServingContext => WithChain(ref _servingContext, Serving);

    /// <summary>
    /// <see cref="KubeletClient"/> with the chain TLS sends (the cross-signed CA during a rotation, so a kubelet that
    /// still trusts only the old CA accepts it), built once per certificate, fetching nothing.
    /// </summary>
    public SslStreamCertificateContext KubeletClientContext => WithChain(ref _kubeletClientContext, KubeletClient);

    /// <summary>The API server's serving certificate (with its key), the current one.</summary>
    public X509Certificate2 Serving => Leaf("serving-kube-apiserver");

    /// <summary>The admin client certificate (with its key), the current one.</summary>
    public X509Certificate2 Admin => Leaf("client-admin");

    /// <summary>
    /// Loads the certificates from <paramref name="dir"/>, creating whatever is missing and renewing whatever is due.
    /// <paramref name="servingAddresses"/> (the bind address of a server on its own loopback address, which no interface
    /// lists) are added to the serving certificate's SANs; one lacking them is reissued.
    /// </summary>
    public static ClusterPki LoadOrCreate(string dir, IPAddress kubernetesServiceIp, TimeProvider? time = null, IReadOnlyCollection<IPAddress>? servingAddresses = null)
    {
        time ??= TimeProvider.System;
        CaRotation.Recover(dir);
        CaRotation.InstallStaged(dir, time.GetUtcNow());
        PrivateFiles.CreateDirectory(dir);
        string caCrt = Path.Combine(dir, CaName + ".crt"), caKey = Path.Combine(dir, CaName + ".key");
        X509Certificate2 ca;
        if (File.Exists(caCrt) && File.Exists(caKey))
        {
            ca = X509Certificate2.CreateFromPemFile(caCrt, caKey);
        }
        else
        {
            ca = CreateCa(time.GetUtcNow());
            WritePair(dir, CaName, ca);
        }

        var pki = new ClusterPki(dir, ca, LoadOrCreateKey(Path.Combine(dir, ServiceKeyFile)), kubernetesServiceIp, time, servingAddresses ?? []);
        pki.Refresh();
        return pki;
    }

    /// <summary>
    /// Renews the leaf certificates that are due (or missing, or not signed by the CA) and takes up those another
    /// process wrote since; returns the names of the certificates that changed.
    /// </summary>
    public IReadOnlyList<string> Refresh() => Renew(force: false);

    /// <summary>Issues every leaf certificate anew (<c>navarch certificate rotate</c>); returns their names.</summary>
    public IReadOnlyList<string> RotateAll() => Renew(force: true);

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

        return CertificateIssuer.IssueWithNewKey(Ca, $"CN={commonName}", CertificateIssuer.ServingUsages, sans.Build(), _time.GetUtcNow(), CertificateLifetimes.Leaf);
    }

    /// <summary>Issues a client certificate signed by the cluster CA (for components and tests).</summary>
    public X509Certificate2 IssueClient(string user, string? group) =>
        CertificateIssuer.IssueWithNewKey(Ca, Subject(user, group), CertificateIssuer.ClientUsages, null, _time.GetUtcNow(), CertificateLifetimes.Leaf);

    /// <summary>True when <paramref name="certificate"/> chains to a trusted CA and is valid now on the server's clock (offline: nothing is fetched).</summary>
    public bool IsSignedByCa(X509Certificate2 certificate) => CertificateChains.Verify(certificate, TrustedCas, usage: null, _time.GetUtcNow());

    /// <summary>True when <paramref name="certificate"/> chains to a trusted CA and may authenticate a client (clientAuth), as Kubernetes' x509 authenticator requires.</summary>
    public bool IsClientCertificate(X509Certificate2 certificate) => CertificateChains.Verify(certificate, TrustedCas, CertificateChains.ClientAuth, _time.GetUtcNow());

    /// <summary>True when <paramref name="certificate"/> chains to a trusted CA and may serve TLS (serverAuth): a kubelet's, seen by the API server.</summary>
    public bool IsServingCertificate(X509Certificate2 certificate) => CertificateChains.Verify(certificate, TrustedCas, CertificateChains.ServerAuth, _time.GetUtcNow());

    /// <summary>A kubeconfig for <paramref name="server"/> with the CA and the admin credentials embedded.</summary>
    public string AdminKubeconfig(string server)
    {
        X509Certificate2 admin = Admin;
        return Kubeconfig.Render(server, CaBundlePem, admin.ExportCertificatePem(), KeyPem(admin));
    }

    /// <summary>
    /// A kubeconfig for <paramref name="server"/> with the CA and a fresh client certificate of <paramref name="user"/>
    /// (in <paramref name="group"/>) embedded: how the server's own agent gets the credentials a joined agent is issued.
    /// </summary>
    public string ClientKubeconfig(string server, string user, string? group)
    {
        using X509Certificate2 client = IssueClient(user, group);
        return Kubeconfig.Render(server, CaBundlePem, client.ExportCertificatePem(), KeyPem(client));
    }

    /// <summary>The context of <paramref name="leaf"/> with <see cref="CaIntermediates"/>, cached in <paramref name="cache"/> until the leaf changes.</summary>
    private SslStreamCertificateContext WithChain(ref SslStreamCertificateContext? cache, X509Certificate2 leaf)
    {
        SslStreamCertificateContext? context = cache;
        if (context is null || !ReferenceEquals(context.TargetCertificate, leaf))
        {
            cache = context = SslStreamCertificateContext.Create(leaf, [.. CaIntermediates], offline: true);
        }

        return context;
    }

    private X509Certificate2 Leaf(string name)
    {
        lock (_lock)
        {
            return _leaves[name];
        }
    }

    private IReadOnlyList<string> Renew(bool force)
    {
        var changed = new List<string>();
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            foreach (string name in LeafNames)
            {
                X509Certificate2? current = force ? null : ReadIfChanged(name) ?? _leaves.GetValueOrDefault(name);
                // Signed by the signing CA itself: after a CA rotation, leaves of the old CA are reissued although still trusted.
                if (current is null || CertificateLifetimes.Due(current, now) || !CertificateChains.Verify(current, Ca, usage: null, now) || !CoversServingAddresses(name, current))
                {
                    current = Issue(name, now);
                    WritePair(Directory, name, current);
                }

                if (!ReferenceEquals(current, _leaves.GetValueOrDefault(name)))
                {
                    // The replaced certificate is left to the collector: connections made with it may still be using it.
                    _leaves[name] = current;
                    _written[name] = File.GetLastWriteTimeUtc(CrtPath(Directory, name));
                    changed.Add(name);
                }
            }
        }

        return changed;
    }

    /// <summary>The pair on disk when it is not the one loaded (first load, or written by another process); null otherwise or when unreadable.</summary>
    private X509Certificate2? ReadIfChanged(string name)
    {
        string crt = CrtPath(Directory, name), key = Path.Combine(Directory, name + ".key");
        if (!File.Exists(crt) || !File.Exists(key) || (_written.TryGetValue(name, out DateTime seen) && File.GetLastWriteTimeUtc(crt) == seen))
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(crt, key);
        }
        catch (CryptographicException)
        {
            // Caught between the writes of the certificate and its key: the next refresh reads the pair.
            return null;
        }
    }

    private X509Certificate2 Issue(string name, DateTimeOffset now) => name switch
    {
        "serving-kube-apiserver" => CertificateIssuer.IssueWithNewKey(Ca, "CN=kube-apiserver", CertificateIssuer.ServingUsages, ServingNames(_kubernetesServiceIp, _servingAddresses), now, CertificateLifetimes.Leaf),
        "client-admin" => CertificateIssuer.IssueWithNewKey(Ca, Subject("system:admin", "system:masters"), CertificateIssuer.ClientUsages, null, now, CertificateLifetimes.Leaf),
        "client-kube-apiserver" => CertificateIssuer.IssueWithNewKey(Ca, Subject("system:apiserver", "system:masters"), CertificateIssuer.ClientUsages, null, now, CertificateLifetimes.Leaf),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a leaf certificate of the server"),
    };

    /// <summary>Certificates as a PEM bundle, each followed by a newline (what <c>/cacerts</c> serves and join tokens hash).</summary>
    public static string PemBundle(IEnumerable<X509Certificate2> certificates) => string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n"));

    /// <summary>Every certificate in a PEM file; none when there is no file.</summary>
    internal static X509Certificate2Collection ReadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        if (File.Exists(path))
        {
            certificates.ImportFromPemFile(path);
        }

        return certificates;
    }

    private static string Subject(string user, string? group) => group is null ? $"CN={user}" : $"CN={user}, O={group}";

    private static string CrtPath(string dir, string name) => Path.Combine(dir, name + ".crt");

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

        WriteAtomically(path, key.ExportPkcs8PrivateKeyPem());
        return key;
    }

    /// <summary>Writes the key, then the certificate (each replaced atomically): a reader never sees half a file.</summary>
    private static void WritePair(string dir, string name, X509Certificate2 cert)
    {
        WriteAtomically(Path.Combine(dir, name + ".key"), KeyPem(cert));
        WriteAtomically(CrtPath(dir, name), cert.ExportCertificatePem() + "\n");
    }

    /// <summary>Replaces <paramref name="path"/> atomically with a 0600 file: certificates too, as everything in the data dir.</summary>
    internal static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp";
        const UnixFileMode mode = PrivateFiles.OwnerOnly;
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            stream.Write(Encoding.ASCII.GetBytes(text));
        }

        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A new self-signed cluster CA (ECDSA P-256, ten years) with its key.</summary>
    internal static X509Certificate2 CreateCa(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=navarch-server-ca@{now.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 cert = request.CreateSelfSigned(now - CertificateIssuer.Backdate, now + CertificateLifetimes.Ca);
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private bool CoversServingAddresses(string name, X509Certificate2 certificate)
    {
        if (name != "serving-kube-apiserver" || _servingAddresses.Count == 0)
        {
            return true;
        }

        var listed = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateIPAddresses()).ToHashSet();
        return _servingAddresses.All(listed.Contains);
    }

    private static X509Extension ServingNames(IPAddress kubernetesServiceIp, IReadOnlyCollection<IPAddress> servingAddresses)
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (string dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", Dns.GetHostName() })
        {
            sans.AddDnsName(dns);
        }

        var ips = new HashSet<IPAddress>(servingAddresses) { IPAddress.Loopback, IPAddress.IPv6Loopback, kubernetesServiceIp };
        foreach (NetworkInterface nic in Client.Host.HostInterfaces.Read())
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

        return sans.Build();
    }
}
