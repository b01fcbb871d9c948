using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Storage;
using Navarch.Kubelet.Csi;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>
/// The external-provisioner's reserved StorageClass parameters on a real API server with the tests' C# CSI driver
/// registered through plugins_registry and the CSI sidecars running: a class with only the keys it knows under
/// <c>csi.storage.k8s.io/</c> provisions; one with a key it does not know fails with its error, an Event on the claim,
/// and no CreateVolume, no PersistentVolume.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CsiProvisioningParametersTests(ITestOutputHelper output)
{
    private const string Driver = "params.csi.navarch.test";
    private const string Ns = "default";

    [Fact]
    public async Task An_unknown_reserved_parameter_fails_provisioning_with_the_provisioners_error_and_makes_no_volume()
    {
        string root = Path.Combine("/tmp", "nvcsiprm-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8]);
        string nodeName = "csi-params-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)));
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        Kubernetes client = api.Client;
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = nodeName } });
        using var stop = new CancellationTokenSource();
        using var plugins = new CsiPlugins(client, nodeName, root, TimeProvider.System, loggers);
        Task registering = plugins.RunAsync(stop.Token);
        var sidecars = new CsiSidecars(client, plugins.Drivers, root, nodeName, loggers, TimeProvider.System);
        Task provisioning = sidecars.RunAsync(stop.Token);
        try
        {
            await using TestCsiDriver driver = await TestCsiDriver.StartAsync(Driver, Path.Combine(root, "plugins_registry"), (n, d, r, a) => new TestCsiDriver(n, d, r, a) { NodeId = nodeName });
            await Polling.Eventually(() => plugins.Drivers.Get(Driver) is not null, "the driver registered");

            await ClassAsync(client, "known", new Dictionary<string, string> { ["tier"] = "fast", ["csi.storage.k8s.io/fstype"] = "ext4" });
            V1PersistentVolumeClaim known = await ClaimAsync(client, "known");
            V1PersistentVolume? pv = await Polling.Eventually(() => ReadOrNullAsync(client, "pvc-" + known.Metadata.Uid), v => v is not null, "the claim of the known class provisioned");
            Assert.Equal("ext4", pv!.Spec.Csi.FsType);
            Assert.Equal(["tier"], driver.LastCreate!.Parameters.Keys);

            await ClassAsync(client, "unknown", new Dictionary<string, string> { ["tier"] = "fast", ["csi.storage.k8s.io/fstype"] = "ext4", ["csi.storage.k8s.io/fs-type"] = "xfs" });
            V1PersistentVolumeClaim unknown = await ClaimAsync(client, "unknown");
            Corev1Event? failed = await Polling.Eventually(
                async () => (await client.CoreV1.ListNamespacedEventAsync(Ns)).Items.FirstOrDefault(e => e.InvolvedObject.Uid == unknown.Metadata.Uid && e.Reason == "ProvisioningFailed"),
                e => e is not null,
                "the claim's ProvisioningFailed event");
            Assert.Equal("Warning", failed!.Type);
            Assert.Equal(
                "failed to provision volume with StorageClass \"unknown\": failed to strip CSI Parameters of prefixed keys: found unknown parameter key \"csi.storage.k8s.io/fs-type\" with reserved namespace csi.storage.k8s.io/",
                failed.Message);
            Assert.DoesNotContain(driver.Calls, c => c.StartsWith($"CreateVolume pvc-{unknown.Metadata.Uid}", StringComparison.Ordinal));
            Assert.Null(await ReadOrNullAsync(client, "pvc-" + unknown.Metadata.Uid));
            Assert.Single((await client.CoreV1.ListPersistentVolumeAsync()).Items);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(registering, provisioning).ContinueWith(_ => { }, TaskScheduler.Default);
            await sidecars.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    private static Task ClassAsync(Kubernetes client, string name, Dictionary<string, string> parameters) =>
        client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = name }, Provisioner = Driver, ReclaimPolicy = "Delete", Parameters = parameters });

    // The PersistentVolume controller hands a claim to its external provisioner with this annotation.
    private static Task<V1PersistentVolumeClaim> ClaimAsync(Kubernetes client, string className) =>
        client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = className, Annotations = new Dictionary<string, string> { [StorageAnnotations.StorageProvisioner] = Driver } },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                StorageClassName = className,
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("16Mi") } },
            },
        }, Ns);

    private static async Task<V1PersistentVolume?> ReadOrNullAsync(Kubernetes client, string name)
    {
        try
        {
            return await client.CoreV1.ReadPersistentVolumeAsync(name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
