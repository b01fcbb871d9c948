using System.Net;
using System.Net.NetworkInformation;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Join;
using Navarch.ApiServer.Pki;

namespace Navarch.Join;

/// <summary>
/// How an agent joins a cluster with <c>--server</c> and <c>--token</c> (k3s's agent bootstrap): fetch the CA from
/// <c>/cacerts</c> and check its SHA-256 against the token's hash, then send certificate requests for the kubelet's
/// client certificate (<c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>), its serving certificate and the
/// proxy's client certificate (<c>system:kube-proxy</c>) to the server's join endpoints, and write them with the
/// kubelet's and the proxy's kubeconfigs under <c>&lt;data-dir&gt;/agent/</c> (k3s's layout). The
/// private keys never leave the agent. A later start with valid files for the same server and CA reuses them.
/// A token without a CA hash is refused unless <c>--insecure-skip-ca-verify</c> says to trust the first CA seen.
/// With <paramref name="via"/> (the agent's load balancer) the requests go there instead, passed through to a server.
/// </summary>
internal sealed partial class AgentJoin(string server, string token, string nodeName, string dataDir, bool insecureSkipCaVerify, ILogger logger, TimeProvider? time = null, string? via = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly string _server = server.TrimEnd('/');
    private readonly string _dial = (via ?? server).TrimEnd('/');

    /// <summary>The agent's state folder.</summary>
    public string AgentDir => Path.Combine(Path.GetFullPath(dataDir), "agent");

    /// <summary>The kubeconfig the kubelet runs with.</summary>
    public string KubeconfigPath => Path.Combine(AgentDir, "kubelet.kubeconfig");

    /// <summary>The kubeconfig the proxy runs with (<c>system:kube-proxy</c>).</summary>
    public string KubeProxyKubeconfigPath => KubeProxyKubeconfigIn(dataDir);

    private string CaPath => Path.Combine(AgentDir, "server-ca.crt");

    private string ClientCertPath => Path.Combine(AgentDir, "client-kubelet.crt");

    private string ClientKeyPath => Path.Combine(AgentDir, "client-kubelet.key");

    /// <summary>Joins (or reuses an earlier join) and returns the kubeconfig path.</summary>
    /// <exception cref="JoinException">The token is wrong, the CA does not match, or the server cannot be reached.</exception>
    public async Task<string> JoinAsync(CancellationToken cancellationToken)
    {
        JoinToken parsed;
        try
        {
            parsed = JoinToken.Parse(token);
        }
        catch (FormatException e)
        {
            throw new JoinException($"invalid token: {e.Message}", e);
        }

        if (Reusable(parsed))
        {
            LogReused(logger, KubeconfigPath);
            return KubeconfigPath;
        }

        byte[] bundle = await FetchCaAsync(_dial, cancellationToken);
        if (parsed.CaHash is null && !insecureSkipCaVerify)
        {
            throw new JoinException("the token carries no CA hash: use the full K10... token (from <data-dir>/server/token or `navarch token create`), or pass --insecure-skip-ca-verify");
        }

        if (parsed.CaHash is { } hash && hash != JoinToken.HashOf(bundle))
        {
            throw new JoinException("token CA hash does not match the server's CA");
        }

        string caPem = Encoding.ASCII.GetString(bundle);
        using X509Certificate2 ca = X509Certificate2.CreateFromPem(caPem);
        using HttpClient http = TrustingOnly(ca);

        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string clientCert = await RequestAsync(http, JoinProtocol.ClientKubeletPath, Csr(clientKey, null), cancellationToken);
        using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string servingCert = await RequestAsync(http, JoinProtocol.ServingKubeletPath, Csr(servingKey, ServingNames()), cancellationToken);
        using var proxyKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string proxyCert = await RequestAsync(http, JoinProtocol.ClientKubeProxyPath, Csr(proxyKey, null), cancellationToken);

        ApiServer.PrivateFiles.CreateDirectory(AgentDir);
        string clientKeyPem = clientKey.ExportPkcs8PrivateKeyPem();
        ApiServer.PrivateFiles.Write(CaPath, caPem);
        ApiServer.PrivateFiles.Write(Path.Combine(AgentDir, "client-ca.crt"), caPem);
        ApiServer.PrivateFiles.Write(ClientCertPath, clientCert);
        ApiServer.PrivateFiles.Write(ClientKeyPath, clientKeyPem);
        ApiServer.PrivateFiles.Write(Path.Combine(AgentDir, "serving-kubelet.crt"), servingCert);
        ApiServer.PrivateFiles.Write(Path.Combine(AgentDir, "serving-kubelet.key"), servingKey.ExportPkcs8PrivateKeyPem());
        ApiServer.PrivateFiles.Write(KubeconfigPath, Kubeconfig.Render(_server, caPem, clientCert, clientKeyPem));
        string proxyKeyPem = proxyKey.ExportPkcs8PrivateKeyPem();
        ApiServer.PrivateFiles.Write(Path.Combine(AgentDir, "client-kube-proxy.crt"), proxyCert);
        ApiServer.PrivateFiles.Write(Path.Combine(AgentDir, "client-kube-proxy.key"), proxyKeyPem);
        ApiServer.PrivateFiles.Write(KubeProxyKubeconfigPath, Kubeconfig.Render(_server, caPem, proxyCert, proxyKeyPem));
        LogJoined(logger, _server, nodeName);
        return KubeconfigPath;
    }

    /// <summary>The stored files are for this server, this CA and this node, and the client certificate has a day left.</summary>
    private bool Reusable(JoinToken parsed)
    {
        if (!File.Exists(KubeconfigPath) || !File.Exists(CaPath) || !File.Exists(ClientCertPath) || !File.Exists(ClientKeyPath) || !File.Exists(KubeProxyKubeconfigPath))
        {
            return false;
        }

        try
        {
            if (parsed.CaHash is { } hash && hash != JoinToken.HashOf(File.ReadAllBytes(CaPath)))
            {
                return false;
            }

            using X509Certificate2 cert = X509Certificate2.CreateFromPemFile(ClientCertPath, ClientKeyPath);
            return cert.GetNameInfo(X509NameType.SimpleName, false) == "system:node:" + nodeName
                && cert.NotAfter.ToUniversalTime() > _time.GetUtcNow().UtcDateTime.AddDays(1)
                && File.ReadAllText(KubeconfigPath).Contains($"server: {_server}\n", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is CryptographicException or IOException)
        {
            return false;
        }
    }

    /// <summary>Where a joined agent under <paramref name="dataDir"/> keeps its proxy's kubeconfig.</summary>
    public static string KubeProxyKubeconfigIn(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), "agent", "kubeproxy.kubeconfig");

    /// <summary>The server's CA bundle from <c>/cacerts</c>, trusting nothing yet: the caller checks it against the token's hash.</summary>
    internal static async Task<byte[]> FetchCaAsync(string server, CancellationToken cancellationToken)
    {
        // Nothing is trusted yet: the bundle is checked against the token's hash instead of by TLS.
#pragma warning disable CA5359 // Any server is accepted here: the CA bundle it sends is verified against the join token's hash.
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { CertificateChainPolicy = CertificateChains.Offline(), RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
#pragma warning restore CA5359
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri(server + JoinProtocol.CaCertsPath), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new JoinException($"{server}/cacerts answered {(int)response.StatusCode}");
            }

            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new JoinException($"cannot reach the server {server}: {e.Message}", e);
        }
    }

    private async Task<string> RequestAsync(HttpClient http, string path, string csr, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_dial + path))
        {
            Content = new StringContent(csr, Encoding.ASCII, "application/pkcs10"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        request.Headers.Add(JoinProtocol.NodeNameHeader, nodeName);
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                string message = body;
                try
                {
                    message = JsonNode.Parse(body)?["message"]?.GetValue<string>() ?? body;
                }
                catch (System.Text.Json.JsonException)
                {
                }

                throw new JoinException($"{(int)response.StatusCode}: {message}");
            }

            return body;
        }
        catch (HttpRequestException e)
        {
            throw new JoinException($"cannot reach the server {_server}: {e.Message}", e);
        }
    }

    private string Csr(ECDsa key, SubjectAlternativeNameBuilder? sans)
    {
        var request = new CertificateRequest($"CN=system:node:{nodeName}, O=system:nodes", key, HashAlgorithmName.SHA256);
        if (sans is not null)
        {
            request.CertificateExtensions.Add(sans.Build());
        }

        return request.CreateSigningRequestPem();
    }

    private SubjectAlternativeNameBuilder ServingNames()
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (string name in new HashSet<string>(StringComparer.OrdinalIgnoreCase) { nodeName, System.Net.Dns.GetHostName(), "localhost" })
        {
            sans.AddDnsName(name);
        }

        var addresses = new HashSet<IPAddress> { IPAddress.Loopback };
        foreach (NetworkInterface nic in Client.Host.HostInterfaces.Read())
        {
            addresses.UnionWith(nic.GetIPProperties().UnicastAddresses.Select(a => a.Address).Where(a => !a.IsIPv6LinkLocal));
        }

        foreach (IPAddress address in addresses)
        {
            sans.AddIpAddress(address);
        }

        return sans;
    }

    /// <summary>
    /// The CA of the server named by a full token (<c>K10&lt;hash&gt;::...</c>): its <c>/cacerts</c> bundle, checked against
    /// the token's hash before anything is sent to the server; its first certificate is the one to trust.
    /// </summary>
    /// <exception cref="JoinException">The server cannot be reached, or its CA is not the one the token names.</exception>
    internal static async Task<X509Certificate2> FetchVerifiedCaAsync(string server, string caHash, CancellationToken cancellationToken)
    {
        byte[] bundle = await FetchCaAsync(server, cancellationToken);
        if (caHash != JoinToken.HashOf(bundle))
        {
            throw new JoinException("token CA hash does not match the server's CA");
        }

        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPem(Encoding.ASCII.GetString(bundle));
        return trusted[0];
    }

    /// <summary>An HTTP client that accepts only servers whose certificate chains to <paramref name="ca"/>.</summary>
    internal static HttpClient TrustingOnly(X509Certificate2 ca)
    {
        // The handshake builds its chain offline (no AIA or CRL fetches), then only the cluster CA is trusted.
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                CertificateChainPolicy = CertificateChains.Offline(),
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is X509Certificate2 served
                    && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                    && CertificateChains.Verify(served, ca, CertificateChains.ServerAuth),
            },
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reusing the kubelet credentials in {Kubeconfig}")]
    private static partial void LogReused(ILogger logger, string kubeconfig);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined {Server} as node {Node}")]
    private static partial void LogJoined(ILogger logger, string server, string node);
}
