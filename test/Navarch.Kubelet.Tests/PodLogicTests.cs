using k8s.Models;
using Navarch.Kubelet.Containerd;
using Navarch.Kubelet.Network;
using Navarch.Kubelet.Pods;

namespace Navarch.Kubelet.Tests;

[Trait("Category", "Unit")]
public sealed class PodLogicTests
{
    private static V1ContainerStatus Running() => new() { Name = "c", State = new V1ContainerState { Running = new V1ContainerStateRunning() } };

    private static V1ContainerStatus Exited(int code) => new() { Name = "c", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } } };

    private static V1ContainerStatus Waiting(bool restarted) => new()
    {
        Name = "c",
        State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = restarted ? "CrashLoopBackOff" : "ContainerCreating" } },
        LastState = restarted ? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1 } } : null,
    };

    public static TheoryData<string, V1ContainerStatus[], string> Phases => new()
    {
        { "Always", [Waiting(false)], "Pending" },
        { "Always", [Running()], "Running" },
        { "Always", [Waiting(true)], "Running" },
        { "Always", [Exited(0)], "Running" },
        { "Never", [Exited(0)], "Succeeded" },
        { "Never", [Exited(1)], "Failed" },
        { "Never", [Exited(0), Exited(2)], "Failed" },
        { "OnFailure", [Exited(0)], "Succeeded" },
        { "OnFailure", [Exited(3)], "Running" },
        { "Never", [Running(), Exited(0)], "Running" },
    };

    [Theory]
    [MemberData(nameof(Phases))]
    public void Phase_follows_the_kubelet_rule(string restartPolicy, V1ContainerStatus[] statuses, string phase)
    {
        var pod = new V1Pod { Spec = new V1PodSpec { RestartPolicy = restartPolicy, Containers = [.. statuses.Select((s, i) => new V1Container { Name = s.Name = "c" + i })] } };
        Assert.Equal(phase, PodStatusBuilder.Phase(pod, statuses));
    }

    [Theory]
    [InlineData("$(A)-$(B)", "1-2")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("x$", "x$")]
    public void Variable_expansion_follows_kubernetes(string input, string expected) =>
        Assert.Equal(expected, PodRuntimeConfig.Expand(input, new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }));

    [Fact]
    public void Qos_class_from_requests_and_limits()
    {
        static V1Pod Pod(V1ResourceRequirements? r) => new() { Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Resources = r }] } };
        var equal = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") };
        Assert.Equal("BestEffort", PodStatusBuilder.QosClass(Pod(null)));
        Assert.Equal("Guaranteed", PodStatusBuilder.QosClass(Pod(new V1ResourceRequirements { Limits = equal, Requests = equal })));
        Assert.Equal("Guaranteed", PodStatusBuilder.QosClass(Pod(new V1ResourceRequirements { Limits = equal })));
        Assert.Equal("Burstable", PodStatusBuilder.QosClass(Pod(new V1ResourceRequirements { Requests = equal })));
    }

    [Fact]
    public void Containerd_config_keeps_everything_under_the_data_dir()
    {
        var config = new ContainerdConfig("/data");
        string toml = config.Render();
        Assert.Contains("root = \"/data/agent/containerd/root\"", toml, StringComparison.Ordinal);
        Assert.Contains("state = \"/data/agent/containerd/state\"", toml, StringComparison.Ordinal);
        Assert.Contains("address = \"/data/agent/containerd/containerd.sock\"", toml, StringComparison.Ordinal);
        Assert.Contains("sandbox_image = \"registry.k8s.io/pause:3.10\"", toml, StringComparison.Ordinal);
        Assert.Contains("SystemdCgroup = false", toml, StringComparison.Ordinal);
        Assert.Contains("runtime_type = \"io.containerd.runc.v2\"", toml, StringComparison.Ordinal);
        Assert.Contains("conf_dir = \"/data/agent/etc/cni/net.d\"", toml, StringComparison.Ordinal);
        Assert.Contains("bin_dir = \"/usr/lib/cni\"", toml, StringComparison.Ordinal);
    }

    [Fact]
    public void Cni_config_is_a_bridge_over_the_pod_cidr()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(new CniConfig { PodCidr = "10.42.3.0/24", IpamDataDir = "/data/ipam", BridgeName = "br9" }.Render());
        System.Text.Json.JsonElement bridge = doc.RootElement.GetProperty("plugins")[0];
        Assert.Equal("bridge", bridge.GetProperty("type").GetString());
        Assert.Equal("br9", bridge.GetProperty("bridge").GetString());
        Assert.Equal("10.42.3.0/24", bridge.GetProperty("ipam").GetProperty("ranges")[0][0].GetProperty("subnet").GetString());
        Assert.Equal("/data/ipam", bridge.GetProperty("ipam").GetProperty("dataDir").GetString());
        Assert.Equal("portmap", doc.RootElement.GetProperty("plugins")[1].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("10.42.3.0/24", "10.42.3.1")]
    [InlineData("10.42.255.0/24", "10.42.255.1")]
    [InlineData("10.200.0.0/16", "10.200.0.1")]
    [InlineData("fd00:42::/64", "fd00:42::1")]
    public void The_pod_bridge_gateway_is_the_pod_cidrs_first_address_as_the_cni_bridge_plugin_makes_it(string podCidr, string gateway)
    {
        Assert.Equal(System.Net.IPAddress.Parse(gateway), PodBridge.Gateway(System.Net.IPNetwork.Parse(podCidr)));
    }
}
