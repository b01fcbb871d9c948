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
        await f.AssertAsync("prod/client", "prod/web", "UDP", true);
        await f.AssertAsync("dev/client", "prod/web", "TCP", true);

        await f.ApplyAsync(DenyProdIngress);
        TimeSpan denied = await f.ExpectAsync("prod/client", "prod/web", "TCP", allowed: false);
        await f.AssertAsync("prod/client", "prod/web", "UDP", false);
        await f.AssertAsync("dev/client", "prod/web", "TCP", false);
        await f.AssertAsync(NetworkPolicyFixture.Outside[0], "prod/web", "TCP", false);
        // Pods of other namespaces and everyone's egress stay free; the node reaches its pods (kubelet probes).
        await f.AssertAsync("prod/web", "dev/client", "TCP", true);
        await f.AssertAsync("prod/web", NetworkPolicyFixture.Outside[0], "UDP", true);
        await f.AssertAsync("node", "prod/web", "TCP", true);

        await f.ApplyAsync(WebIngress("from-dev", "  - from: [{namespaceSelector: {matchLabels: {team: b}}}]"));
        TimeSpan allowed = await f.ExpectAsync("dev/client", "prod/web", "TCP", allowed: true);
        await f.AssertAsync("dev/client", "prod/web", "UDP", true);
        await f.AssertAsync("prod/client", "prod/web", "TCP", false);

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
        await f.AssertAsync(NetworkPolicyFixture.Outside[1], "prod/web", "TCP", true);
        await f.AssertAsync(NetworkPolicyFixture.Outside[1], "prod/web", "UDP", true);
        await f.AssertAsync("prod/client", "prod/web", "TCP", false);
    }

    [Fact]
    public async Task Ports_named_ports_and_port_ranges_open_only_what_they_name()
    {
        await f.ResetAsync();
        await f.ApplyAsync(WebIngress("http-only", "  - ports: [{port: http}]"));
        await f.ExpectAsync("prod/client", "prod/web", "UDP", allowed: false);
        await f.AssertAsync("prod/client", "prod/web", "TCP", true);

        await f.ApplyAsync(WebIngress("udp-range", "  - ports: [{protocol: UDP, port: 5000, endPort: 6000}]\n    from: [{podSelector: {}}]"));
        await f.ExpectAsync("prod/client", "prod/web", "UDP", allowed: true);
        // The range is for prod's pods only; the outside still has just http.
        await f.AssertAsync(NetworkPolicyFixture.Outside[0], "prod/web", "UDP", false);
        await f.AssertAsync(NetworkPolicyFixture.Outside[0], "prod/web", "TCP", true);
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
        await f.AssertAsync("prod/web", "dev/client", "UDP", true);
        await f.AssertAsync("prod/web", "prod/client", "UDP", false);
        await f.AssertAsync("prod/web", NetworkPolicyFixture.Outside[1], "TCP", false);
        // Ingress to web is not isolated, and its replies go out; the other pods' egress is free.
        await f.AssertAsync("dev/client", "prod/web", "TCP", true);
        await f.AssertAsync("prod/client", NetworkPolicyFixture.Outside[1], "TCP", true);
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

    [Fact]
    public async Task Every_kind_of_rule_is_accepted_by_the_kernel()
    {
        // Named ports, ranges, protocol-only, interval sets and verdict maps in one table, written and removed again.
        var options = new NetworkPolicyOptions { TableName = $"npr-{f.Lab.Id}", NetworkNamespace = f.Lab.Node };
        PolicyDataplane dataplane = NetworkPolicyCompiler.Compile(PolicyWorld.Inputs([NftablesRendererTests.Policy]), PolicyWorld.Node1);
        await new NftablesClient(new CommandRunner(f.Lab.Node)).ApplyAsync(NftablesRenderer.Render(options.TableName, dataplane), default);
        string listed = (await f.Lab.ExecAsync(f.Lab.Node, "nft", "list", "table", "inet", options.TableName)).Stdout;
        Assert.Contains("udp dport 5000-5010", listed);
        Assert.Contains("meta l4proto sctp", listed);
        Assert.True(await NetworkPolicyController.CleanupAsync(options));
    }
}
