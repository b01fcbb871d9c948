using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Navarch.Api.Certificates;

namespace Navarch.ApiServer.Pki;

/// <summary>
/// The aggregator's front-proxy credentials, as kube-apiserver's <c>--requestheader-client-ca-file</c> and
/// <c>--proxy-client-cert-file</c>/<c>--proxy-client-key-file</c> (k3s: <c>request-header-ca</c> and
/// <c>client-auth-proxy</c>): a CA of its own — extension API servers trust the X-Remote-* headers only from a client
/// certificate it signed — and the <c>front-proxy-client</c> certificate the API server presents when proxying.
/// PEM files beside the cluster PKI; the client certificate is reissued when within 90 days of expiry — at start, and
/// while running by <see cref="CertificateRenewer"/> (the proxy picks the new one for its next connection).
/// </summary>
public sealed class FrontProxyPki
{
    private const string CaName = "request-header-ca";
    private const string ClientName = "client-auth-proxy";

    /// <summary>The name the client certificate carries (requestheader-allowed-names).</summary>
    public const string ClientCommonName = "front-proxy-client";

    private readonly string _dir;
    private readonly Lock _lock = new();
    private volatile X509Certificate2 _client;

    private FrontProxyPki(string dir, X509Certificate2 ca, X509Certificate2 client)
    {
        _dir = dir;
        Ca = ca;
        _client = client;
    }

    /// <summary>The front-proxy CA (with its key).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The client certificate the API server proxies with (with its key); replaced when renewed.</summary>
    public X509Certificate2 Client => _client;

    /// <summary>
    /// Reissues the client certificate when it is due at <paramref name="now"/> (or no longer chains to the CA); true
    /// when it did. The replaced certificate is left to the collector: connections made with it may still be open.
    /// </summary>
    public bool Refresh(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!Needed(_client, Ca, now))
            {
                return false;
            }

            _client = IssueClient(_dir, Ca, now);
            return true;
        }
    }

    /// <summary>Loads the CA and client certificate from <paramref name="dir"/>, creating or renewing what is missing or due.</summary>
    public static FrontProxyPki LoadOrCreate(string dir, TimeProvider? time = null)
    {
        DateTimeOffset now = (time ?? TimeProvider.System).GetUtcNow();
        PrivateFiles.CreateDirectory(dir);
        X509Certificate2 ca = Load(dir, CaName) ?? Write(dir, CaName, CreateCa(now));
        X509Certificate2? client = Load(dir, ClientName);
        if (client is null || Needed(client, ca, now))
        {
            client = IssueClient(dir, ca, now);
        }

        return new FrontProxyPki(dir, ca, client);
    }

    private static bool Needed(X509Certificate2 client, X509Certificate2 ca, DateTimeOffset now) =>
        !CertificateChains.Verify(client, ca, CertificateChains.ClientAuth, now) || CertificateLifetimes.Due(client, now);

    private static X509Certificate2 IssueClient(string dir, X509Certificate2 ca, DateTimeOffset now) =>
        Write(dir, ClientName, CertificateIssuer.IssueWithNewKey(ca, "CN=" + ClientCommonName, CertificateIssuer.ClientUsages, null, now, CertificateLifetimes.Leaf));

    private static X509Certificate2? Load(string dir, string name)
    {
        string crt = Path.Combine(dir, name + ".crt"), key = Path.Combine(dir, name + ".key");
        return File.Exists(crt) && File.Exists(key) ? X509Certificate2.CreateFromPemFile(crt, key) : null;
    }

    private static X509Certificate2 Write(string dir, string name, X509Certificate2 cert)
    {
        string key = cert.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? throw new InvalidOperationException("certificate has no ECDSA key");
        PrivateFiles.Write(Path.Combine(dir, name + ".key"), key);
        PrivateFiles.Write(Path.Combine(dir, name + ".crt"), cert.ExportCertificatePem() + "\n");
        return cert;
    }

    private static X509Certificate2 CreateCa(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=navarch-request-header-ca@{now.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 cert = request.CreateSelfSigned(now - CertificateIssuer.Backdate, now + CertificateLifetimes.Ca);
        return X509Certificate2.CreateFromPem(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
