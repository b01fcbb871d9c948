using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Kubelet.Network;
using Navarch.Testing;

namespace Navarch.Dns.Tests;

/// <summary>
/// This machine's network namespace plays a node that runs the cluster DNS where <c>navarch server</c> puts it: on the
/// pod bridge, which the kubelet's own code sets up here. Two namespaces of the lab's own play a pod on that bridge and
/// a host outside the cluster, linked to the node by a veth of its own and routing everything through the node (even
/// the pod CIDR, the worst case). A real API server and a fake upstream resolver on loopback complete the cluster.
/// Everything is named after a random id and removed on dispose.
/// </summary>
public sealed class DnsNodeLab : IAsyncLifetime
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];
    private readonly int _clusterOctet = 200 + Random.Shared.Next(50);
    private readonly int _linkOctet = Random.Shared.Next(250);
    private readonly List<string> _namespaces = [];
    private bool _bridgeMade;

    public ApiServerHost Api { get; private set; } = null!;

    public FakeUpstream Upstream { get; private set; } = null!;

    public ClusterDnsServer Dns { get; private set; } = null!;

    public Kubernetes Client => Api.Client;

    /// <summary>Sockets made in the pod's namespace.</summary>
    public NetnsSockets Pod { get; private set; } = null!;

    /// <summary>Sockets made in the outside host's namespace.</summary>
    public NetnsSockets Outside { get; private set; } = null!;

    public string NodeName => $"lab-{_id}";

    public string ClusterCidr => $"10.{_clusterOctet}.0.0/16";

    public string PodCidr => $"10.{_clusterOctet}.5.0/24";

    /// <summary>The pod bridge's address, the first of the pod CIDR.</summary>
    public IPAddress Gateway => IPAddress.Parse($"10.{_clusterOctet}.5.1");

    public IPAddress PodIp => IPAddress.Parse($"10.{_clusterOctet}.5.10");

    /// <summary>The node's InternalIP, on its link to the outside host.</summary>
    public IPAddress NodeIp => IPAddress.Parse($"198.18.{_linkOctet}.1");

    public IPAddress OutsideIp => IPAddress.Parse($"198.18.{_linkOctet}.2");

    private string Bridge => $"ndb{_id}";

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root", "the DNS node lab makes network namespaces and a bridge, as root");
        Api = await ApiServerHost.StartAsync();
        Upstream = FakeUpstream.Start();

        _bridgeMade = true;
        Assert.Null(await PodBridge.EnsureAsync(Bridge, PodCidr, CancellationToken.None));
        string pod = await AddNamespaceAsync("p");
        await Ip("link", "add", $"v{_id}p", "type", "veth", "peer", "name", "eth0", "netns", pod);
        await Ip("link", "set", $"v{_id}p", "master", Bridge, "up");
        await Ip("-n", pod, "addr", "add", $"{PodIp}/24", "dev", "eth0");
        await Ip("-n", pod, "link", "set", "eth0", "up");
        await Ip("-n", pod, "route", "add", "default", "via", Gateway.ToString());
        string outside = await AddNamespaceAsync("o");
        await Ip("link", "add", $"v{_id}o", "type", "veth", "peer", "name", "eth0", "netns", outside);
        await Ip("addr", "add", $"{NodeIp}/24", "dev", $"v{_id}o");
        await Ip("link", "set", $"v{_id}o", "up");
        await Ip("-n", outside, "addr", "add", $"{OutsideIp}/24", "dev", "eth0");
        await Ip("-n", outside, "link", "set", "eth0", "up");
        await Ip("-n", outside, "route", "add", "default", "via", NodeIp.ToString());
        Pod = new NetnsSockets(pod);
        Outside = new NetnsSockets(outside);

        // The Node as its kubelet reports it.
        V1Node node = await Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = NodeName }, Spec = new V1NodeSpec { PodCIDR = PodCidr, PodCIDRs = [PodCidr] } });
        node.Status = new V1NodeStatus { Addresses = [new V1NodeAddress { Type = "InternalIP", Address = NodeIp.ToString() }, new V1NodeAddress { Type = "Hostname", Address = NodeName }] };
        await Client.CoreV1.ReplaceNodeStatusAsync(node, NodeName);

        for (int attempt = 0; Dns is null; attempt++)
        {
            Assert.True(attempt < 20, "no free port for the cluster DNS");
            Dns = (await ClusterDnsHost.StartAsync(Client, new ClusterDnsHostOptions
            {
                PodBridge = Bridge,
                Port = FreePort.Next(),
                NodeName = NodeName,
                ClusterIp = "10.43.0.10",
                Upstreams = Upstream.Endpoint.ToString(),
                ClusterNetworks = [ClusterCidr, "10.43.0.0/16"],
            }, NullLoggerFactory.Instance, CancellationToken.None))!;
        }
    }

    public async Task DisposeAsync()
    {
        if (Dns is not null)
        {
            await Dns.DisposeAsync();
        }

        Pod?.Dispose();
        Outside?.Dispose();
        // A namespace takes its veths (and their host ends) with it.
        foreach (string ns in _namespaces)
        {
            await Ip("netns", "del", ns);
        }

        if (_bridgeMade && Directory.Exists($"/sys/class/net/{Bridge}"))
        {
            await Ip("link", "del", Bridge);
        }

        Upstream?.Dispose();
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }
    }

    private async Task<string> AddNamespaceAsync(string role)
    {
        string ns = $"nd{role}{_id}";
        await Ip("netns", "add", ns);
        _namespaces.Add(ns);
        await Ip("-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    private static async Task Ip(params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"ip {string.Join(' ', args)}: {stderr}");
    }
}
