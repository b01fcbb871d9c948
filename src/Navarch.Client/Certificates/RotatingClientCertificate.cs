using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;

namespace Navarch.Client.Certificates;

/// <summary>
/// Makes an official client present whatever certificate a <see cref="CertificateManager"/> holds now, as client-go's
/// transport asks the kubelet's certificate manager at every TLS handshake: the handshake's certificate selection reads
/// it, and pooled connections are replaced after <see cref="ConnectionLifetime"/>, so a renewed certificate is in use
/// within that time without a restart.
/// </summary>
public static class RotatingClientCertificate
{
    /// <summary>How long a pooled connection (and so the certificate it was opened with) is reused for new requests.</summary>
    public static readonly TimeSpan ConnectionLifetime = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Sets <paramref name="config"/> up to ask <paramref name="current"/> for the client certificate at each handshake,
    /// falling back to the kubeconfig's own while it answers null. The kubeconfig's certificate is taken out of the
    /// configuration, because the official client pins a configured certificate with a selection callback of its own.
    /// </summary>
    public static void Use(KubernetesClientConfiguration config, Func<X509Certificate2?> current, TimeSpan? connectionLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        X509Certificate2? configured = Configured(config);
        config.ClientCertificateData = null;
        config.ClientCertificateKeyData = null;
        config.ClientCertificateFilePath = null;
        config.ClientKeyFilePath = null;
        Action<SocketsHttpHandler>? earlier = config.FirstMessageHandlerSetup;
        config.FirstMessageHandlerSetup = sockets =>
        {
            earlier?.Invoke(sockets);
            sockets.PooledConnectionLifetime = connectionLifetime ?? ConnectionLifetime;
            sockets.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => (current() ?? configured)!;
        };
    }

    /// <summary>The kubeconfig's client certificate with its key (inline data or files), or null when it has none.</summary>
    private static X509Certificate2? Configured(KubernetesClientConfiguration config)
    {
        static string? Pem(string? data, string? path) =>
            !string.IsNullOrEmpty(data) ? Encoding.UTF8.GetString(Convert.FromBase64String(data))
            : !string.IsNullOrEmpty(path) ? File.ReadAllText(path)
            : null;

        if (Pem(config.ClientCertificateData, config.ClientCertificateFilePath) is not { } certificate
            || Pem(config.ClientCertificateKeyData, config.ClientKeyFilePath) is not { } key)
        {
            return null;
        }

        return X509Certificate2.CreateFromPem(certificate, key);
    }
}
