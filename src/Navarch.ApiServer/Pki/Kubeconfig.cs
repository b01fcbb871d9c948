using System.Text;

namespace Navarch.ApiServer.Pki;

/// <summary>A kubeconfig with one cluster, one client-certificate user and one context, everything embedded.</summary>
public static class Kubeconfig
{
    /// <summary>The kubeconfig text for <paramref name="server"/> with the given PEM CA bundle, certificate and key.</summary>
    public static string Render(string server, string caPem, string certificatePem, string keyPem) =>
        $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: default
          cluster:
            server: {server}
            certificate-authority-data: {Base64(caPem)}
        contexts:
        - name: default
          context:
            cluster: default
            user: default
        current-context: default
        users:
        - name: default
          user:
            client-certificate-data: {Base64(certificatePem)}
            client-key-data: {Base64(keyPem)}
        """;

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
}
