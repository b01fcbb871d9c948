using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Kubelet.Node;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// A real API server and a kubelet with its own containerd in a temp data dir (unique node name, bridge and pod
/// CIDR), with the pause and busybox images imported. Dispose removes every sandbox, stops containerd, and cleans
/// mounts, the bridge, cgroups and the data dir.
/// </summary>
internal sealed class KubeletNode : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggers;

    private KubeletNode(ApiServerHost api, KubeletOptions options, ITestOutputHelper output, ILoggerFactory loggers)
    {
        Api = api;
        Options = options;
        _output = output;
        _loggers = loggers;
        Kubelet = new Kubelet(api.Client, options, loggers);
    }

    public ApiServerHost Api { get; }

    public Kubernetes Client => Api.Client;

    public KubeletOptions Options { get; }

    public Kubelet Kubelet { get; }

    public string Socket => Kubelet.RuntimeEndpoint!;

    public static async Task<KubeletNode> StartAsync(ITestOutputHelper output, Func<string, NodeReadings>? readings = null, string kubeReserved = "", string systemReserved = "", Containerd.Registries.PrivateRegistries? registries = null)
    {
        Assert.True(Environment.UserName == "root", "the kubelet end-to-end tests run containerd and must run as root");
        TestImages.EnsurePackages();
        string suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)).SetMinimumLevel(LogLevel.Information));
        ApiServerHost api = await ApiServerHost.StartAsync();
        var options = new KubeletOptions
        {
            NodeName = "node-" + suffix,
            DataDir = Path.Combine("/tmp", "nvk-" + suffix),
            BridgeName = "nvt" + suffix,
            DefaultPodCidr = $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(250)}.0/24",
            LeaseRenewInterval = TimeSpan.FromSeconds(2),
            StatusUpdateInterval = TimeSpan.FromSeconds(2),
            // The kubelet API on a free loopback port, signed by the test API server's CA and serving only that server.
            // Not port 0: the kubelet reports the port of its options in its node status.
            KubeletPort = FreePort.Next(),
            KubeletBindAddress = System.Net.IPAddress.Loopback,
            ServingCertificate = api.Server.Pki.IssueServing("node-" + suffix, ["node-" + suffix], [System.Net.IPAddress.Loopback]),
            ClientCa = api.Server.Pki.Ca,
            Readings = readings ?? NodeReadings.Read,
            KubeReserved = ReservedResources.Parse(kubeReserved),
            SystemReserved = ReservedResources.Parse(systemReserved),
            Registries = registries ?? Containerd.Registries.PrivateRegistries.None,
        };
        var node = new KubeletNode(api, options, output, loggers);
        try
        {
            await TestImages.BuildAsync(options.ImagesDir);
            await node.Kubelet.StartAsync();
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Pods go from the API first (grace 0), so the running kubelet tears their sandboxes down and no worker makes
        // a new one behind the clean-up below.
        try
        {
            foreach (V1Pod pod in (await Client.CoreV1.ListPodForAllNamespacesAsync()).Items)
            {
                await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, new V1DeleteOptions { GracePeriodSeconds = 0 });
            }
        }
        catch (k8s.Autorest.HttpOperationException)
        {
        }

        string? socket = Kubelet.RuntimeEndpoint;
        if (socket is not null)
        {
            await NodeCleanup.WaitForNoSandboxesAsync(socket, TimeSpan.FromSeconds(20));
            await NodeCleanup.RemoveSandboxesAsync(socket);
        }

        await Kubelet.DisposeAsync();
        foreach (int pid in Navarch.Testing.LeftoverShims.Kill(Options.DataDir))
        {
            _output.WriteLine($"killed leftover containerd shim {pid}");
        }

        string containerdLog = Path.Combine(Options.AgentDir, "containerd", "containerd.log");
        if (File.Exists(containerdLog))
        {
            _output.WriteLine("containerd log (errors):");
            foreach (string line in File.ReadLines(containerdLog).Where(l => l.Contains("level=error", StringComparison.Ordinal)).TakeLast(20))
            {
                _output.WriteLine(line);
            }
        }

        // What `navarch killall` does for a node (mounts, loop devices of claims the test did not delete, pod network
        // namespaces, the bridge, the address leases), then the data dir itself.
        using (var teardown = new StringWriter())
        {
            await new NodeTeardown(Options.DataDir, Options.BridgeName, teardown).RunAsync(CancellationToken.None);
            foreach (string line in teardown.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                _output.WriteLine("teardown: " + line);
            }
        }

        NodeCleanup.RemoveDataDir(Options.DataDir);

        await Api.DisposeAsync();
        _loggers.Dispose();
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, string what, int seconds = 60)
        where T : class
        => (await Eventually(probe, result => result is not null, what, TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(200)))!;
}
