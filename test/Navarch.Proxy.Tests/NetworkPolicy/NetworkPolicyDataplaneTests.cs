using k8s;
using Navarch.Proxy.NetworkPolicy;
using Navarch.Proxy.NetworkPolicy.Model;
using Navarch.Proxy.NetworkPolicy.Nftables;
using Navarch.Proxy.NetworkPolicy.Rules;
using Navarch.Proxy.Host;

namespace Navarch.Proxy.Tests.NetworkPolicy;

/// <summary>
/// NetworkPolicies programmed into a real kernel by the controller, against a real API server, judged by real TCP
/// connections and UDP exchanges between the lab's pods and outside hosts.
/// </summary>
[Trait("Category", "Node")]
[Collection("dataplane")]
public sealed class NetworkPolicyDataplaneTests(NetworkPolicyFixture f, ITestOutputHelper output) : IClassFixture<NetworkPolicyFixture>
{
    private const string DenyProdIngress = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-ingress, namespace: prod}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        """;

    private static string WebIngress(string name, string rules) => $$$"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: {{{name}}}, namespace: prod}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress:
        {{{rules}}}
        """;

    [Fact]
    public async Task Default_deny_isolates_pods_and_an_allowed_namespace_gets_through_each_change_within_a_second()
    {
        await f.ResetAsync();
        Assert.True(await f.ConnectsAsync("prod/client", "prod/web", "UDP"));
        Assert.True(await f.ConnectsAsync("dev/client", "prod/web", "TCP"));

        await f.ApplyAsync(DenyProdIngress);
        TimeSpan denied = await f.ExpectAsync("prod/client", "prod/web", "TCP", allowed: false);
        Assert.False(await f.ConnectsAsync("prod/client", "prod/web", "UDP"));
        Assert.False(await f.ConnectsAsync("dev/client", "prod/web", "TCP"));
        Assert.False(await f.ConnectsAsync(NetworkPolicyFixture.Outside[0], "prod/web", "TCP"));
        // Pods of other namespaces and everyone's egress stay free; the node reaches its pods (kubelet probes).
        Assert.True(await f.ConnectsAsync("prod/web", "dev/client", "TCP"));
        Assert.True(await f.ConnectsAsync("prod/web", NetworkPolicyFixture.Outside[0], "UDP"));
        Assert.True(await f.ConnectsAsync("node", "prod/web", "TCP"));

        await f.ApplyAsync(WebIngress("from-dev", "  - from: [{namespaceSelector: {matchLabels: {team: b}}}]"));
        TimeSpan allowed = await f.ExpectAsync("dev/client", "prod/web", "TCP", allowed: true);
        Assert.True(await f.ConnectsAsync("dev/client", "prod/web", "UDP"));
        Assert.False(await f.ConnectsAsync("prod/client", "prod/web", "TCP"));

        await f.Client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync("deny-ingress", "prod");
        await f.Client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync("from-dev", "prod");
        TimeSpan restored = await f.ExpectAsync("prod/client", "prod/web", "TCP", allowed: true);
        output.WriteLine($"deny took effect in {denied.TotalMilliseconds:F0} ms, allow in {allowed.TotalMilliseconds:F0} ms, removal in {restored.TotalMilliseconds:F0} ms");
        Assert.All(new[] { denied, allowed, restored }, t => Assert.True(t < TimeSpan.FromSeconds(2), $"a change took {t.TotalMilliseconds:F0} ms"));
    }

    [Fact]
    public async Task IpBlock_lets_its_cidr_in_but_not_its_excepts()
    {
        await f.ResetAsync();
        await f.ApplyAsync(WebIngress("from-outside", "  - from: [{ipBlock: {cidr: 10.77.0.0/16, except: [10.77.0.0/24]}}]"));
        await f.ExpectAsync(NetworkPolicyFixture.Outside[0], "prod/web", "TCP", allowed: false);
        Assert.True(await f.ConnectsAsync(NetworkPolicyFixture.Outside[1], "prod/web", "TCP"));
        Assert.True(await f.ConnectsAsync(NetworkPolicyFixture.Outside[1], "prod/web", "UDP"));
        Assert.False(await f.ConnectsAsync("prod/client", "prod/web", "TCP"));
    }

    [Fact]
    public async Task Ports_named_ports_and_port_ranges_open_only_what_they_name()
    {
        await f.ResetAsync();
        await f.ApplyAsync(WebIngress("http-only", "  - ports: [{port: http}]"));
        await f.ExpectAsync("prod/client", "prod/web", "UDP", allowed: false);
        Assert.True(await f.ConnectsAsync("prod/client", "prod/web", "TCP"));

        await f.ApplyAsync(WebIngress("udp-range", "  - ports: [{protocol: UDP, port: 5000, endPort: 6000}]\n    from: [{podSelector: {}}]"));
        await f.ExpectAsync("prod/client", "prod/web", "UDP", allowed: true);
        // The range is for prod's pods only; the outside still has just http.
        Assert.False(await f.ConnectsAsync(NetworkPolicyFixture.Outside[0], "prod/web", "UDP"));
        Assert.True(await f.ConnectsAsync(NetworkPolicyFixture.Outside[0], "prod/web", "TCP"));
    }

    [Fact]
    public async Task Egress_default_deny_holds_back_new_connections_but_not_replies_and_an_allowed_port_gets_out()
    {
        await f.ResetAsync();
        await f.ApplyAsync("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web-egress, namespace: prod}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Egress]
              egress:
              - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}}]
                ports: [{protocol: UDP, port: 5353}]
            """);
        await f.ExpectAsync("prod/web", "dev/client", "TCP", allowed: false);
        Assert.True(await f.ConnectsAsync("prod/web", "dev/client", "UDP"));
        Assert.False(await f.ConnectsAsync("prod/web", "prod/client", "UDP"));
        Assert.False(await f.ConnectsAsync("prod/web", NetworkPolicyFixture.Outside[1], "TCP"));
        // Ingress to web is not isolated, and its replies go out; the other pods' egress is free.
        Assert.True(await f.ConnectsAsync("dev/client", "prod/web", "TCP"));
        Assert.True(await f.ConnectsAsync("prod/client", NetworkPolicyFixture.Outside[1], "TCP"));
    }

    [Fact]
    public async Task Cleanup_removes_the_table_and_only_it()
    {
        var options = new NetworkPolicyOptions { TableName = $"npc-{f.Lab.Id}", NetworkNamespace = f.Lab.Node };
        var nft = new NftablesClient(new CommandRunner(f.Lab.Node));
        PolicyDataplane dataplane = NetworkPolicyCompiler.Compile(new PolicyInputs([], [], new Dictionary<string, IDictionary<string, string>?>()), "node-a");
        await nft.ApplyAsync(NftablesRenderer.Render(options.TableName, dataplane), default);
        Assert.Contains(options.TableName, (await f.Lab.ExecAsync(f.Lab.Node, "nft", "list", "tables")).Stdout);

        Assert.True(await NetworkPolicyController.CleanupAsync(options));
        string tables = (await f.Lab.ExecAsync(f.Lab.Node, "nft", "list", "tables")).Stdout;
        Assert.DoesNotContain(options.TableName, tables);
        Assert.Contains(f.Options.TableName, tables);
        Assert.False(await NetworkPolicyController.CleanupAsync(options));
    }
}
