using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Aggregator;

/// <summary>
/// <c>kube-system/extension-apiserver-authentication</c> is kept as kube-apiserver's cluster-authentication-trust
/// controller keeps it: deleted, it is written again; edited, this server's CAs, allowed name and header names are
/// merged back into what the edit left (a name it added stays, a key it added goes), within seconds.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterAuthenticationTrustTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Name = "extension-apiserver-authentication";
    private const string Namespace = "kube-system";

    private Kubernetes Client => fixture.Client;

    [Fact]
    public async Task A_deleted_ConfigMap_is_written_again()
    {
        V1ConfigMap before = await Client.CoreV1.ReadNamespacedConfigMapAsync(Name, Namespace);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync(Name, Namespace);

        V1ConfigMap? again = await Polling.Eventually<V1ConfigMap?>(
            async () =>
            {
                try
                {
                    return await Client.CoreV1.ReadNamespacedConfigMapAsync(Name, Namespace);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }
            },
            c => c is not null,
            "the ConfigMap written again");
        Assert.NotEqual(before.Metadata.Uid, again!.Metadata.Uid);
        AssertOwn(again, allowedNames: "[\"front-proxy-client\"]");
    }

    [Fact]
    public async Task An_edited_ConfigMap_gets_this_servers_values_merged_back()
    {
        V1ConfigMap current = await Client.CoreV1.ReadNamespacedConfigMapAsync(Name, Namespace);
        current.Data = new Dictionary<string, string>
        {
            ["requestheader-allowed-names"] = "[\"other-proxy\"]",
            ["requestheader-group-headers"] = "[\"X-Remote-Group\",\"X-Other-Group\"]",
            ["stray"] = "dropped",
        };
        await Client.CoreV1.ReplaceNamespacedConfigMapAsync(current, Name, Namespace);

        V1ConfigMap merged = await Polling.Eventually(
            () => Client.CoreV1.ReadNamespacedConfigMapAsync(Name, Namespace),
            c => c.Data.ContainsKey("client-ca-file"),
            "this server's values merged back");
        AssertOwn(merged, allowedNames: "[\"other-proxy\",\"front-proxy-client\"]");
        Assert.Equal("[\"X-Remote-Group\",\"X-Other-Group\"]", merged.Data["requestheader-group-headers"]);
        Assert.False(merged.Data.ContainsKey("stray"));
        Assert.Equal(6, merged.Data.Count);
    }

    private void AssertOwn(V1ConfigMap map, string allowedNames)
    {
        Assert.Equal(allowedNames, map.Data["requestheader-allowed-names"]);
        Assert.Equal("[\"X-Remote-User\"]", map.Data["requestheader-username-headers"]);
        Assert.Equal("[\"X-Remote-Extra-\"]", map.Data["requestheader-extra-headers-prefix"]);
        Assert.Equal(fixture.Server.Pki.Ca.Thumbprint, Single(map.Data["client-ca-file"]).Thumbprint);
        Assert.Equal(fixture.Server.FrontProxy.Ca.Thumbprint, Single(map.Data["requestheader-client-ca-file"]).Thumbprint);
    }

    private static X509Certificate2 Single(string pem)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPem(pem);
        return Assert.Single(bundle);
    }
}
