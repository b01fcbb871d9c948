using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Navarch.ApiServer.Tests;

/// <summary>All state lives in the store: a restarted server on the same data dir has every acknowledged object, and its certificates.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-restart-");

    [Fact]
    public async Task A_restarted_server_resumes_with_its_objects_certificates_and_allocations()
    {
        string caThumbprint, clusterIp;
        var options = new ApiServerOptions { DataDir = _dir.FullName, Port = 0, BindAddress = System.Net.IPAddress.Loopback };
        await using (var first = new ApiServer(options, NullLoggerFactory.Instance))
        {
            await first.StartAsync();
            caThumbprint = first.Pki.Ca.Thumbprint;
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(first.AdminKubeconfigPath));
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "kept" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default");
            clusterIp = (await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "kept" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, "default")).Spec.ClusterIP;
        }

        await using var second = new ApiServer(options, NullLoggerFactory.Instance);
        await second.StartAsync();
        Assert.Equal(caThumbprint, second.Pki.Ca.Thumbprint);
        using var again = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(second.AdminKubeconfigPath));
        Assert.Equal("v", (await again.CoreV1.ReadNamespacedConfigMapAsync("kept", "default")).Data["k"]);
        var clash = new V1Service { Metadata = new V1ObjectMeta { Name = "clash" }, Spec = new V1ServiceSpec { ClusterIP = clusterIp, Ports = [new V1ServicePort { Port = 80 }] } };
        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => again.CoreV1.CreateNamespacedServiceAsync(clash, "default"));
        Assert.Equal(422, (int)e.Response.StatusCode);
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
