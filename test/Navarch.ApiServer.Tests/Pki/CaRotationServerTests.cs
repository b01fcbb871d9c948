using System.Text;
using k8s;
using Navarch.ApiServer.Pki;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Pki;

/// <summary>
/// The official .NET client (what agents run on) through a CA rotation of a real API server: a kubeconfig that trusts
/// only the old CA, with a client certificate of the old CA — the admin's or a node's, as a joined agent holds — still
/// works after the restart (the serving certificate of the new CA comes with the cross-signed CA), and so does the
/// rewritten admin kubeconfig.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CaRotationServerTests
{
    [Fact]
    public async Task ClientsThatTrustOnlyTheOldCaKeepWorkingAfterARotation()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync(port: FreePort.Next());
        string oldAdmin = await File.ReadAllTextAsync(host.Server.AdminKubeconfigPath);
        string oldNode = host.Server.ClientKubeconfig("system:node:rotated", "system:nodes");
        string tls = host.Server.Pki.Directory, newCa = Path.Combine(host.DataDir, "new-ca");
        CaRotation.Generate(newCa, host.Server.Pki.Ca, DateTimeOffset.UtcNow.AddSeconds(1));
        CaRotation.Validate(newCa, host.Server.Pki.Ca, DateTimeOffset.UtcNow.AddSeconds(1), force: false);
        CaRotation.Install(tls, newCa, DateTimeOffset.UtcNow);

        await host.RestartAsync();
        Assert.Equal(2, host.Server.Pki.TrustedCas.Count);

        foreach ((string what, string kubeconfig) in new[] { ("old admin", oldAdmin), ("old node", oldNode), ("new admin", await File.ReadAllTextAsync(host.Server.AdminKubeconfigPath)) })
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
            var review = await client.AuthenticationV1.CreateSelfSubjectReviewAsync(new k8s.Models.V1SelfSubjectReview());
            Assert.True(review.Status.UserInfo.Username is "system:admin" or "system:node:rotated", what);
        }
    }
}
