using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Pki;
using Navarch.Client.Certificates;

namespace Navarch.Agent;

/// <summary>
/// A joined agent's kubelet certificates kept through the CSR API, as the kubelet's <c>--rotate-certificates</c> and
/// <c>--rotate-server-certificates</c>: the client certificate (<c>kubernetes.io/kube-apiserver-client-kubelet</c>,
/// auto-approved for the node by csrapproving) is presented by the agent's client at each new connection
/// (<c>RotatingClientCertificate</c>) and rewrites <c>kubelet.kubeconfig</c> for the next start; the serving certificate (<c>kubernetes.io/kubelet-serving</c>, for the node's name and InternalIP) is
/// read by the kubelet API at each handshake, so a renewal needs no restart.
/// </summary>
internal sealed partial class KubeletCertificates : IAsyncDisposable
{
    private readonly CertificateManager _client;
    private readonly CertificateManager _serving;

    private KubeletCertificates(CertificateManager client, CertificateManager serving)
    {
        _client = client;
        _serving = serving;
    }

    /// <summary>The current client certificate.</summary>
    public X509Certificate2? Client => _client.Current;

    /// <summary>The current serving certificate.</summary>
    public X509Certificate2? Serving => _serving.Current;

    /// <summary>The managers for the certificates a join left in <paramref name="agentDir"/>; null when the agent did not join (a given kubeconfig).</summary>
    public static KubeletCertificates? ForJoinedAgent(k8s.Kubernetes api, string agentDir, string nodeName, string nodeIp, ILoggerFactory logging)
    {
        string kubeconfig = Path.Combine(agentDir, "kubelet.kubeconfig"), ca = Path.Combine(agentDir, "server-ca.crt");
        if (!File.Exists(Path.Combine(agentDir, "client-kubelet.crt")) || !File.Exists(Path.Combine(agentDir, "serving-kubelet.crt")) || !File.Exists(kubeconfig) || !File.Exists(ca))
        {
            return null;
        }

        string subject = $"CN=system:node:{nodeName}, O=system:nodes";
        ILogger logger = logging.CreateLogger<CertificateManager>();
        var client = new CertificateManager(api, new CertificateManagerOptions
        {
            Directory = agentDir,
            Name = "client-kubelet",
            SignerName = Signers.KubeApiServerClientKubelet,
            Usages = ["digital signature", "client auth"],
            Subject = subject,
            Changed = async (certificate, cancellationToken) =>
            {
                string server = ServerLine().Match(await File.ReadAllTextAsync(kubeconfig, cancellationToken)).Groups[1].Value;
                string key = certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
                string text = Kubeconfig.Render(server, await File.ReadAllTextAsync(ca, cancellationToken), certificate.ExportCertificatePem(), key);
                // Created 0600: the file holds the private key from its first byte.
                ApiServer.PrivateFiles.Write(kubeconfig + ".tmp", text);
                File.Move(kubeconfig + ".tmp", kubeconfig, overwrite: true);
            },
        }, TimeProvider.System, logger);
        return new KubeletCertificates(client, ServingManager(api, agentDir, nodeName, nodeIp, logger));
    }

    /// <summary>
    /// The manager of the kubelet serving certificate (<c>serving-kubelet</c> in <paramref name="agentDir"/>), a
    /// <c>kubernetes.io/kubelet-serving</c> CSR for the node's name and InternalIP, which csrapproving approves once the
    /// Node reports them: a joined agent's, and the server's own agent's (started once its Node is registered).
    /// </summary>
    public static CertificateManager ServingManager(k8s.Kubernetes api, string agentDir, string nodeName, string nodeIp, ILogger logger) =>
        new(api, new CertificateManagerOptions
        {
            Directory = agentDir,
            Name = "serving-kubelet",
            SignerName = Signers.KubeletServing,
            Usages = ["digital signature", "server auth"],
            Subject = $"CN=system:node:{nodeName}, O=system:nodes",
            // Only what the Node reports, which is what csrapproving approves.
            SubjectAlternativeNames = () => ([nodeName], [IPAddress.Parse(nodeIp)]),
        }, TimeProvider.System, logger);

    /// <summary>Starts both rotations.</summary>
    public void Start()
    {
        _client.Start();
        _serving.Start();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _serving.DisposeAsync();
    }

    [GeneratedRegex(@"^\s*server: (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ServerLine();
}
