using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Navarch.ApiServer.Pki;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Aggregator;

/// <summary>
/// The aggregator's front-proxy client certificate on a running API server: reissued by the certificate renewer when
/// within 90 days of expiry, without a restart, signed by the same request-header CA that
/// <c>kube-system/extension-apiserver-authentication</c> publishes (with the allowed names and header names extension
/// API servers read), and written to disk for the next start.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FrontProxyRenewalTests
{
    [Fact]
    public async Task The_front_proxy_client_certificate_is_renewed_while_running_under_the_published_CA()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using ApiServerHost host = await ApiServerHost.StartAsync(time: time);
        X509Certificate2 first = host.Server.FrontProxy.Client;

        V1ConfigMap published = await host.Client.CoreV1.ReadNamespacedConfigMapAsync("extension-apiserver-authentication", "kube-system");
        X509Certificate2 ca = X509Certificate2.CreateFromPem(published.Data["requestheader-client-ca-file"]);
        Assert.Equal(host.Server.FrontProxy.Ca.Thumbprint, ca.Thumbprint);
        Assert.Equal("[\"front-proxy-client\"]", published.Data["requestheader-allowed-names"]);
        Assert.Equal("[\"X-Remote-User\"]", published.Data["requestheader-username-headers"]);
        Assert.Equal("[\"X-Remote-Group\"]", published.Data["requestheader-group-headers"]);
        Assert.Equal("[\"X-Remote-Extra-\"]", published.Data["requestheader-extra-headers-prefix"]);

        // Not due yet: a minute of the renewer's clock changes nothing.
        time.Advance(CertificateRenewer.Period);
        await Task.Delay(500);
        Assert.Same(first, host.Server.FrontProxy.Client);

        // Into the last 90 days of its year: the renewer (every minute of the server's clock) reissues it.
        time.Advance(CertificateLifetimes.Leaf - CertificateLifetimes.RenewWithin);
        X509Certificate2 renewed = await Polling.Eventually(
            () =>
            {
                time.Advance(CertificateRenewer.Period);
                return Task.FromResult(host.Server.FrontProxy.Client);
            },
            c => !ReferenceEquals(c, first),
            "the front-proxy client certificate renewed");
        Assert.True(renewed.NotAfter > first.NotAfter.AddDays(200));
        Assert.Equal("CN=front-proxy-client", renewed.Subject);
        Assert.True(renewed.HasPrivateKey);

        // Still trusted by what extension API servers were told to trust, and what the next start loads.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        Assert.True(chain.Build(renewed), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        string onDisk = await File.ReadAllTextAsync(Path.Combine(host.DataDir, "server", "tls", "client-auth-proxy.crt"));
        Assert.Equal(renewed.Thumbprint, X509Certificate2.CreateFromPem(onDisk).Thumbprint);
    }
}
