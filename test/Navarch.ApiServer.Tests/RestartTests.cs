using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>All state lives in the store: a restarted server on the same data dir has every acknowledged object, and its certificates.</summary>
[Trait("Category", "Integration")]
public sealed class RestartTests
{
    [Fact]
    public async Task A_restarted_server_resumes_with_its_objects_certificates_and_allocations()
    {
        await using ApiServerHost host = await ApiServerHost.StartAsync();
        string caThumbprint = host.Server.Pki.Ca.Thumbprint;
        await host.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "kept" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default");
        string clusterIp = (await host.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "kept" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, "default")).Spec.ClusterIP;

        await host.RestartAsync();
        Assert.Equal(caThumbprint, host.Server.Pki.Ca.Thumbprint);
        Assert.Equal("v", (await host.Client.CoreV1.ReadNamespacedConfigMapAsync("kept", "default")).Data["k"]);
        var clash = new V1Service { Metadata = new V1ObjectMeta { Name = "clash" }, Spec = new V1ServiceSpec { ClusterIP = clusterIp, Ports = [new V1ServicePort { Port = 80 }] } };
        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => host.Client.CoreV1.CreateNamespacedServiceAsync(clash, "default"));
        Assert.Equal(422, (int)e.Response.StatusCode);
    }
}
