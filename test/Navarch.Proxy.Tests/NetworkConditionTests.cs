using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Proxy.Host;
using Navarch.Testing;

namespace Navarch.Proxy.Tests;

[Trait("Category", "Integration")]
public sealed class NetworkConditionTests
{
    private static async Task<V1NodeCondition?> ConditionAsync(Kubernetes client, string type) =>
        (await client.CoreV1.ReadNodeAsync("n1")).Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    [Fact]
    public async Task Kernel_settings_are_reported_as_NetworkUnavailable_beside_the_kubelets_conditions()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        Kubernetes client = api.Client;
        V1Node node = await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } });
        node.Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady" }] };
        await client.CoreV1.ReplaceNodeStatusAsync(node, "n1");

        // Forwarding off: the node's network is unavailable.
        await NetworkCondition.ReportAsync(client, "n1", ["net.ipv4.ip_forward", "br_netfilter"], TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        V1NodeCondition? network = await ConditionAsync(client, "NetworkUnavailable");
        Assert.NotNull(network);
        Assert.Equal(("True", "KernelSettingsFailed"), (network.Status, network.Reason));
        Assert.Contains("net.ipv4.ip_forward", network.Message, StringComparison.Ordinal);
        Assert.Equal("True", (await ConditionAsync(client, "Ready"))?.Status);

        // Only the bridge settings missing: available, with a warning in the message.
        await NetworkCondition.ReportAsync(client, "n1", ["net.bridge.bridge-nf-call-iptables"], TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        network = await ConditionAsync(client, "NetworkUnavailable");
        Assert.Equal(("False", "KernelSettingsIncomplete"), (network?.Status, network?.Reason));
        Assert.Contains("bridge-nf-call-iptables", network?.Message, StringComparison.Ordinal);

        await NetworkCondition.ReportAsync(client, "n1", [], TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        network = await ConditionAsync(client, "NetworkUnavailable");
        Assert.Equal(("False", "KernelSettingsApplied"), (network?.Status, network?.Reason));
        Assert.Equal(2, (await client.CoreV1.ReadNodeAsync("n1")).Status.Conditions.Count);
    }

    [Fact]
    public async Task A_node_not_registered_yet_is_waited_for()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        Kubernetes client = api.Client;
        Task report = NetworkCondition.ReportAsync(client, "n1", [], TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        // Still waiting is an absence with nothing to await: a moment in which it would have finished.
        await Task.Delay(300);
        Assert.False(report.IsCompleted);
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } });
        await report.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("False", (await ConditionAsync(client, "NetworkUnavailable"))?.Status);
    }

    [Fact]
    public async Task The_node_reports_it_and_the_proxy_identity_gives_up_instead_of_retrying()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");
        await api.Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } });
        using Kubernetes proxy = Connect(api, "system:kube-proxy", null);
        using Kubernetes node = Connect(api, "system:node:n1", "system:nodes");

        // system:node-proxier reads Nodes but may not write their status: refused once, not retried for ever.
        await NetworkCondition.ReportAsync(proxy, "n1", [], TimeProvider.System, NullLogger.Instance, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(await ConditionAsync(api.Client, "NetworkUnavailable"));

        await NetworkCondition.ReportAsync(node, "n1", [], TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        Assert.Equal("False", (await ConditionAsync(api.Client, "NetworkUnavailable"))?.Status);
    }

    private static Kubernetes Connect(ApiServerHost api, string user, string? group)
    {
        using var kubeconfig = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(api.Server.ClientKubeconfig(user, group)));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
    }
}
