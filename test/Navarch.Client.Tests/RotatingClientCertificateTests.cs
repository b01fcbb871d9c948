using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Autorest;
using Navarch.Client.Certificates;
using Navarch.Testing;

namespace Navarch.Client.Tests;

/// <summary>An official client presents the certificate held now at each new connection (a renewed kubelet certificate without a restart).</summary>
[Trait("Category", "Integration")]
public sealed class RotatingClientCertificateTests
{
    [Fact]
    public async Task A_new_connection_presents_the_certificate_held_now()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(authorizationMode: "RBAC");
        using X509Certificate2 stranger = SelfSigned();
        X509Certificate2? held = null;
        int asked = 0;
        KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(host.Server.AdminKubeconfigPath);
        RotatingClientCertificate.Use(config, () => { Interlocked.Increment(ref asked); return held; }, TimeSpan.FromMilliseconds(200));
        using var client = new Kubernetes(config);

        // Nothing held yet: the kubeconfig's own certificate (the admin's).
        Assert.NotNull(await client.CoreV1.ListNamespaceAsync());

        // A certificate from no trusted CA, once the pooled connection has aged out: the server no longer knows the client.
        held = stranger;
        await Polling.Eventually(
            async () =>
            {
                try
                {
                    await client.CoreV1.ListNamespaceAsync();
                    return false;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    return true;
                }
            },
            "a new connection presents the stranger's certificate",
            TimeSpan.FromSeconds(30),
            detail: () => Task.FromResult($"the certificate was asked for {Volatile.Read(ref asked)} times"));

        // And back to a trusted one.
        held = host.Server.Pki.Admin;
        await Polling.EventuallyPasses(async () => Assert.NotNull(await client.CoreV1.ListNamespaceAsync()), "a new connection presents the admin certificate again", TimeSpan.FromSeconds(30));
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=stranger", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
