using System.Collections.Concurrent;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.PluginRegistration.V1;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>
/// A hostpath-like CSI driver for the tests: a real gRPC server on unix sockets serving Identity, Node and Controller
/// (volumes are folders under <see cref="VolumesDir"/>, staged and published by bind mounts) and, on its socket in
/// the kubelet's plugins_registry, the plugin-registration service as node-driver-registrar serves it. Every call is
/// recorded in <see cref="Calls"/>.
/// </summary>
internal sealed class TestCsiDriver : IAsyncDisposable
{
    private readonly WebApplication _app;

    internal TestCsiDriver(string name, string dir, string registrationSocket, WebApplication app)
    {
        Name = name;
        Dir = dir;
        RegistrationSocket = registrationSocket;
        _app = app;
    }

    public string Name { get; }

    /// <summary>The driver's own folder: its CSI socket and its volumes.</summary>
    public string Dir { get; }

    public string Endpoint => Path.Combine(Dir, "csi.sock");

    public string VolumesDir => Path.Combine(Dir, "volumes");

    public string RegistrationSocket { get; }

    public string NodeId { get; init; } = "test-node-id";

    public long MaxVolumesPerNode { get; init; }

    public IReadOnlyDictionary<string, string> Topology { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Versions { get; init; } = ["1.0.0"];

    /// <summary>Whether the node service offers STAGE_UNSTAGE_VOLUME.</summary>
    public bool Stage { get; init; } = true;

    /// <summary>Whether the controller service offers PUBLISH_UNPUBLISH_VOLUME.</summary>
    public bool Attach { get; init; }

    /// <summary>Whether the controller service offers EXPAND_VOLUME.</summary>
    public bool ControllerExpand { get; init; }

    /// <summary>Whether the node service offers EXPAND_VOLUME.</summary>
    public bool NodeExpand { get; init; }

    /// <summary>The last CreateVolume request, for its parameters and secrets.</summary>
    public Navarch.Kubelet.Csi.V1.CreateVolumeRequest? LastCreate { get; set; }

    /// <summary>The last DeleteVolume request.</summary>
    public Navarch.Kubelet.Csi.V1.DeleteVolumeRequest? LastDelete { get; set; }

    /// <summary>The last ControllerPublishVolume request.</summary>
    public Navarch.Kubelet.Csi.V1.ControllerPublishVolumeRequest? LastControllerPublish { get; set; }

    /// <summary>What ControllerExpandVolume answers as node_expansion_required.</summary>
    public bool NodeExpansionRequired { get; set; } = true;

    /// <summary>The last ControllerExpandVolume request, for its secrets and capability.</summary>
    public Navarch.Kubelet.Csi.V1.ControllerExpandVolumeRequest? LastControllerExpand { get; set; }

    /// <summary>The last NodeExpandVolume request, for its paths, size and secrets.</summary>
    public Navarch.Kubelet.Csi.V1.NodeExpandVolumeRequest? LastNodeExpand { get; set; }

    /// <summary>The RPCs called, with their main argument ("NodePublishVolume vol-1 /target").</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>The last NodePublishVolume request, for its context, secrets and readonly.</summary>
    public Navarch.Kubelet.Csi.V1.NodePublishVolumeRequest? LastPublish { get; set; }

    /// <summary>The last NodeStageVolume request.</summary>
    public Navarch.Kubelet.Csi.V1.NodeStageVolumeRequest? LastStage { get; set; }

    /// <summary>What the kubelet answered to the last registration.</summary>
    public RegistrationStatus? Status { get; set; }

    /// <summary>When set, NodePublishVolume fails with this message.</summary>
    public string? PublishError { get; set; }

    /// <summary>Waits until the kubelet has registered this driver in <paramref name="nodeName"/>'s CSINode (which may not exist yet).</summary>
    public Task WaitRegisteredAsync(Kubernetes client, string nodeName) =>
        Polling.Eventually(
            async () => (await Absent.OrNullAsync(() => client.StorageV1.ReadCSINodeAsync(nodeName)))?.Spec.Drivers?.Any(d => d.Name == Name) == true,
            "the driver registered",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(200));

    /// <summary>Starts the driver; its registration socket appears in <paramref name="registryDir"/> last.</summary>
    public static async Task<TestCsiDriver> StartAsync(string name, string registryDir, Func<string, string, string, WebApplication, TestCsiDriver> make)
    {
        string dir = Path.Combine("/tmp", "nvcsi-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "volumes"));
        Directory.CreateDirectory(registryDir);
        string registration = Path.Combine(registryDir, name + "-reg.sock");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(Path.Combine(dir, "csi.sock"), o => o.Protocols = HttpProtocols.Http2);
            k.ListenUnixSocket(registration, o => o.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc();
        var holder = new DriverHolder();
        builder.Services.AddSingleton(holder);
        WebApplication app = builder.Build();
        app.MapGrpcService<TestCsiIdentity>();
        app.MapGrpcService<TestCsiNode>();
        app.MapGrpcService<TestCsiController>();
        app.MapGrpcService<TestCsiRegistration>();
        TestCsiDriver driver = make(name, dir, registration, app);
        holder.Driver = driver;
        await app.StartAsync();
        return driver;
    }

    /// <summary>Stops serving and removes the sockets (the kubelet deregisters the driver), leaving the volumes.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync();
        File.Delete(RegistrationSocket);
        File.Delete(Endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        foreach (string mount in Navarch.Kubelet.Volumes.MountTable.MountsUnder(Dir))
        {
            Navarch.Kubelet.Volumes.MountTable.Unmount(mount);
        }

        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>How the gRPC services (made by the host) find the driver.</summary>
    internal sealed class DriverHolder
    {
        public TestCsiDriver Driver { get; set; } = null!;
    }
}
