using k8s;
using k8s.Models;
using Navarch.Proxy.NetworkPolicy.Model;
using Navarch.Proxy.NetworkPolicy.Nftables;
using Navarch.Proxy.NetworkPolicy.Rules;

namespace Navarch.Proxy.Tests.NetworkPolicy;

/// <summary>The nft transaction a dataplane becomes (the kernel side is in <see cref="NetworkPolicyDataplaneTests"/>).</summary>
[Trait("Category", "Unit")]
public sealed class NftablesRendererTests
{
    internal const string Policy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: prod}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Ingress, Egress]
          ingress:
          - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}, {podSelector: {matchLabels: {app: client}}}]
            ports: [{port: http}, {protocol: UDP, port: 5000, endPort: 5010}, {protocol: SCTP}]
          egress:
          - ports: [{protocol: UDP, port: dns}]
        """;

    [Fact]
    public void A_dataplane_is_one_transaction_that_replaces_the_table()
    {
        PolicyInputs inputs = PolicyWorld.Inputs([Policy]);
        PolicyDataplane dataplane = NetworkPolicyCompiler.Compile(inputs, PolicyWorld.Node1);
        string text = NftablesRenderer.Render("np-test", dataplane);
        string[] lines = text.Split('\n').Select(l => l.Trim()).ToArray();

        Assert.Equal(["table inet np-test {}", "delete table inet np-test", "table inet np-test {"], lines[..3]);
        string ingress = dataplane.IngressPods[PolicyWorld.Address("prod/web")];
        string egress = dataplane.EgressPods[PolicyWorld.Address("prod/web")];
        Assert.Contains($"elements = {{ 10.42.1.10 : jump {ingress},", lines);
        Assert.Contains($"10.42.1.12 : jump {ingress} }}", lines);
        string peers = Assert.Single(dataplane.Sets.Keys);
        // The ipBlock less its except, and prod's client, as one sorted interval set.
        Assert.Contains("elements = { 10.0.0.0-10.0.255.255,", lines);
        Assert.Contains("10.2.0.0-10.255.255.255 }", lines);
        Assert.Contains($"ip saddr @{peers} ip daddr . tcp dport {{ 10.42.1.10 . 8080, 10.42.1.12 . 8082 }} return comment \"prod/web ingress[0]\"", lines);
        Assert.Contains($"ip saddr @{peers} udp dport 5000-5010 return comment \"prod/web ingress[0]\"", lines);
        Assert.Contains($"ip saddr @{peers} meta l4proto sctp return comment \"prod/web ingress[0]\"", lines);
        Assert.Contains("ip daddr . udp dport { 172.20.0.1 . 53 } return comment \"prod/web egress[0]\"", lines);
        Assert.Contains("reject comment \"ingress not allowed by prod/web\"", lines);
        Assert.Contains("type filter hook forward priority filter; policy accept;", lines);
        Assert.Contains("type filter hook input priority filter; policy accept;", lines);
        Assert.Equal(2, lines.Count(l => l == "ct state established,related accept"));
        Assert.Equal(egress, dataplane.EgressPods[PolicyWorld.Address("prod/web2")]);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void No_policy_leaves_an_empty_table_that_isolates_no_one()
    {
        string text = NftablesRenderer.Render("np-test", NetworkPolicyCompiler.Compile(PolicyWorld.Inputs([]), PolicyWorld.Node1));
        Assert.DoesNotContain("elements", text, StringComparison.Ordinal);
        Assert.DoesNotContain("reject", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Comments_stay_within_what_nft_takes_however_many_policies_a_chain_holds()
    {
        string[] policies = Enumerable.Range(0, 30).Select(i => $"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {"{"}name: a-rather-long-policy-name-{i}, namespace: prod{"}"}
            spec: {"{"}podSelector: {"{"}{"}"}, ingress: [{"{"}from: [{"{"}podSelector: {"{"}{"}"}{"}"}]{"}"}]{"}"}
            """).ToArray();
        string text = NftablesRenderer.Render("np-test", NetworkPolicyCompiler.Compile(PolicyWorld.Inputs(policies), PolicyWorld.Node1));
        Assert.All(text.Split('\n').Where(l => l.Contains("comment", StringComparison.Ordinal)), l => Assert.True(l[(l.IndexOf("comment \"", StringComparison.Ordinal) + 9)..].TrimEnd('"').Length <= 128, l));
        Assert.Contains("reject comment \"ingress not allowed by prod/a-rather-long-policy-name-0, ", text, StringComparison.Ordinal);
    }
}
