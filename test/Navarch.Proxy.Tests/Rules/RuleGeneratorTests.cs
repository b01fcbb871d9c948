using System.Text.RegularExpressions;
using k8s.Models;
using Navarch.Proxy.Rules;
using static Navarch.Proxy.Tests.Objects;

namespace Navarch.Proxy.Tests.Rules;

[Trait("Category", "Unit")]
public sealed class RuleGeneratorTests
{
    private static readonly ProxyOptions Options = new() { NodeName = "node-a", ChainPrefix = "KUBE-", ClusterCidr = "10.42.0.0/16" };
    private static readonly ChainNames Chains = new("KUBE-");

    private static string Render(IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice> slices, ProxyOptions? options = null) =>
        Generate(services, slices, options).Render();

    private static RuleSet Generate(IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice> slices, ProxyOptions? options = null) =>
        new RuleGenerator(new ChainNames((options ?? Options).ChainPrefix), options ?? Options).Generate(ServiceModel.Build(services, slices, (options ?? Options).NodeName));

    private static List<string> Rules(string text, string chain) =>
        text.Split('\n').Where(l => l.StartsWith($"-A {chain} ", StringComparison.Ordinal)).ToList();

    private static string Table(string text, string table)
    {
        int start = text.IndexOf($"*{table}\n", StringComparison.Ordinal);
        return text[start..text.IndexOf("COMMIT\n", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void Chain_names_hash_like_kube_proxy()
    {
        var port = new ServicePortInfo("ns1", "svc1", "p80", "TCP", "10.20.30.41", 80);
        Assert.Equal("KUBE-SVC-XPGD46QRK7WJZT7O", Chains.Svc(port));
        Assert.Equal("KUBE-SEP-SXIVWICOYRO3J4NJ", Chains.Sep(port, new EndpointInfo("10.180.0.1", 80, true, true, false, false)));
        var prefixed = new ChainNames("NVTEST123-");
        Assert.True(prefixed.Sep(port, new EndpointInfo("10.180.0.1", 80, true, true, false, false)).Length <= 28);
        Assert.Throws<ArgumentException>(() => new ChainNames("MUCH-TOO-LONG-"));
    }

    [Fact]
    public void ClusterIp_spreads_over_every_ready_endpoint_with_decreasing_probabilities()
    {
        string text = Render(
            [Service("svc1", "10.43.0.10", Port("p80", 80))],
            [Slice("svc1", "p80", 8080, "TCP", Endpoint("10.42.0.3"), Endpoint("10.42.0.1"), Endpoint("10.42.0.2"))]);
        var port = new ServicePortInfo("ns1", "svc1", "p80", "TCP", "10.43.0.10", 80);
        string svc = Chains.Svc(port);
        string nat = Table(text, "nat");
        Assert.Contains($"-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 cluster IP\" -p tcp -m tcp -d 10.43.0.10/32 --dport 80 -j {svc}\n", nat);
        List<string> balancing = Rules(nat, svc);
        Assert.Equal(4, balancing.Count);
        Assert.EndsWith("! -s 10.42.0.0/16 -j KUBE-MARK-MASQ", balancing[0]);
        Assert.Contains("-m statistic --mode random --probability 0.3333333333 ", balancing[1]);
        Assert.Contains("-m statistic --mode random --probability 0.5000000000 ", balancing[2]);
        Assert.DoesNotContain("statistic", balancing[3]);
        string[] targets = ["10.42.0.1:8080", "10.42.0.2:8080", "10.42.0.3:8080"];
        for (int i = 0; i < 3; i++)
        {
            string sep = Chains.Sep(port, new EndpointInfo(targets[i][..^5], 8080, true, true, false, true));
            Assert.EndsWith($"-j {sep}", balancing[i + 1]);
            Assert.Equal(
                [$"-A {sep} -m comment --comment \"ns1/svc1:p80\" -s {targets[i][..^5]}/32 -j KUBE-MARK-MASQ", $"-A {sep} -m comment --comment \"ns1/svc1:p80\" -p tcp -m tcp -j DNAT --to-destination {targets[i]}"],
                Rules(nat, sep));
        }

        Assert.DoesNotContain("REJECT", Table(text, "filter"));
        // The node-port jump is the last rule of SERVICES.
        Assert.Contains("--dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS", Rules(nat, "KUBE-SERVICES")[^1]);
    }

    [Fact]
    public void A_service_without_endpoints_is_rejected_in_the_filter_table()
    {
        string text = Render([Service("empty", "10.43.0.11", Port(null, 53, "UDP"))], []);
        Assert.Equal(
            ["-A KUBE-SERVICES -m comment --comment \"ns1/empty has no endpoints\" -p udp -m udp -d 10.43.0.11/32 --dport 53 -j REJECT --reject-with icmp-port-unreachable"],
            Rules(Table(text, "filter"), "KUBE-SERVICES"));
        Assert.DoesNotContain("10.43.0.11", Table(text, "nat"));
        Assert.DoesNotContain("KUBE-SVC-", text);
    }

    [Fact]
    public void Session_affinity_checks_recent_clients_first_and_records_them_at_dnat()
    {
        V1Service service = Service("sticky", "10.43.0.12", Port(null, 80));
        service.Spec.SessionAffinity = "ClientIP";
        service.Spec.SessionAffinityConfig = new V1SessionAffinityConfig { ClientIP = new V1ClientIPConfig { TimeoutSeconds = 600 } };
        string nat = Table(Render([service], [Slice("sticky", null, 80, "TCP", Endpoint("10.42.0.1"), Endpoint("10.42.0.2"))]), "nat");
        var port = new ServicePortInfo("ns1", "sticky", "", "TCP", "10.43.0.12", 80);
        string sep1 = Chains.Sep(port, new EndpointInfo("10.42.0.1", 80, true, true, false, true));
        List<string> svc = Rules(nat, Chains.Svc(port));
        Assert.Equal(5, svc.Count);
        Assert.Contains($"-m recent --name {sep1} --rcheck --seconds 600 --reap -j {sep1}", svc[1]);
        Assert.Contains("--rcheck --seconds 600 --reap", svc[2]);
        Assert.Contains("statistic", svc[3]);
        Assert.Contains($"-p tcp -m recent --set --name {sep1} --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.42.0.1:80", Rules(nat, sep1)[1]);
    }

    [Fact]
    public void Terminating_endpoints_serve_only_when_none_is_ready()
    {
        V1Service service = Service("term", "10.43.0.13", Port(null, 80));
        string withReady = Table(Render([service], [Slice("term", null, 80, "TCP", Endpoint("10.42.0.1"), Endpoint("10.42.0.2", ready: false, serving: true, terminating: true))]), "nat");
        Assert.Contains("10.42.0.1:80", withReady);
        Assert.DoesNotContain("10.42.0.2:80", withReady);

        string onlyTerminating = Table(Render([service], [Slice("term", null, 80, "TCP", Endpoint("10.42.0.2", ready: false, serving: true, terminating: true), Endpoint("10.42.0.3", ready: false, serving: false, terminating: true))]), "nat");
        Assert.Contains("--to-destination 10.42.0.2:80", onlyTerminating);
        Assert.DoesNotContain("10.42.0.3:80", onlyTerminating);
    }

    [Fact]
    public void NodePort_externalIPs_and_load_balancer_IPs_go_through_the_external_chain_with_masquerade()
    {
        V1Service service = Service("web", "10.43.0.14", Port("http", 80, nodePort: 30080));
        service.Spec.Type = "LoadBalancer";
        service.Spec.ExternalIPs = ["192.0.2.10"];
        service.Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Ip = "192.0.2.20" }] } };
        string nat = Table(Render([service], [Slice("web", "http", 8080, "TCP", Endpoint("10.42.1.5", node: "node-b"))]), "nat");
        var port = new ServicePortInfo("ns1", "web", "http", "TCP", "10.43.0.14", 80);
        string ext = Chains.Ext(port);
        Assert.Equal([$"-A KUBE-NODEPORTS -m comment --comment \"ns1/web:http\" -p tcp -m tcp --dport 30080 -j {ext}"], Rules(nat, "KUBE-NODEPORTS"));
        Assert.Contains($"-A KUBE-SERVICES -m comment --comment \"ns1/web:http external IP\" -p tcp -m tcp -d 192.0.2.10/32 --dport 80 -j {ext}\n", nat);
        Assert.Contains($"-A KUBE-SERVICES -m comment --comment \"ns1/web:http loadbalancer IP\" -p tcp -m tcp -d 192.0.2.20/32 --dport 80 -j {ext}\n", nat);
        Assert.Equal(
            [$"-A {ext} -m comment --comment \"masquerade traffic for ns1/web:http external destinations\" -j KUBE-MARK-MASQ", $"-A {ext} -j {Chains.Svc(port)}"],
            Rules(nat, ext));
    }

    [Fact]
    public void External_traffic_policy_Local_sends_outside_traffic_only_to_local_endpoints_without_masquerade()
    {
        V1Service service = Service("local", "10.43.0.15", Port(null, 80, nodePort: 30081));
        service.Spec.Type = "NodePort";
        service.Spec.ExternalTrafficPolicy = "Local";
        string nat = Table(Render([service], [Slice("local", null, 80, "TCP", Endpoint("10.42.0.5", node: "node-a"), Endpoint("10.42.1.5", node: "node-b"))]), "nat");
        var port = new ServicePortInfo("ns1", "local", "", "TCP", "10.43.0.15", 80);
        string ext = Chains.Ext(port), svl = Chains.Svl(port), svc = Chains.Svc(port);
        List<string> extRules = Rules(nat, ext);
        Assert.Equal(4, extRules.Count);
        Assert.Contains($"-s 10.42.0.0/16 -m comment --comment \"pod traffic for ns1/local external destinations\" -j {svc}", extRules[0]);
        Assert.Contains("-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ", extRules[1]);
        Assert.Equal($"-A {ext} -j {svl}", extRules[3]);
        List<string> local = Rules(nat, svl);
        Assert.Single(local);
        Assert.Contains("10.42.0.5:80", local[0]);
        // The ClusterIP still reaches both.
        Assert.Equal(3, Rules(nat, svc).Count);
    }

    [Fact]
    public void External_traffic_policy_Local_without_local_endpoints_drops_external_traffic()
    {
        V1Service service = Service("remote", "10.43.0.16", Port(null, 80, nodePort: 30082));
        service.Spec.Type = "NodePort";
        service.Spec.ExternalTrafficPolicy = "Local";
        string text = Render([service], [Slice("remote", null, 80, "TCP", Endpoint("10.42.1.5", node: "node-b"))]);
        Assert.Equal(
            ["-A KUBE-EXTERNAL-SERVICES -m comment --comment \"ns1/remote has no local endpoints\" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30082 -j DROP"],
            Rules(Table(text, "filter"), "KUBE-EXTERNAL-SERVICES"));
        Assert.Empty(Rules(Table(text, "nat"), "KUBE-NODEPORTS"));
    }

    [Fact]
    public void Internal_traffic_policy_Local_uses_local_endpoints_for_the_cluster_IP()
    {
        V1Service service = Service("itp", "10.43.0.17", Port(null, 80));
        service.Spec.InternalTrafficPolicy = "Local";
        var port = new ServicePortInfo("ns1", "itp", "", "TCP", "10.43.0.17", 80);
        string nat = Table(Render([service], [Slice("itp", null, 80, "TCP", Endpoint("10.42.0.5"), Endpoint("10.42.1.5", node: "node-b"))]), "nat");
        Assert.Contains($"--dport 80 -j {Chains.Svl(port)}\n", nat);
        Assert.DoesNotContain("10.42.1.5:80", string.Join('\n', Rules(nat, Chains.Svl(port))));

        string none = Render([service], [Slice("itp", null, 80, "TCP", Endpoint("10.42.1.5", node: "node-b"))]);
        Assert.Equal(
            ["-A KUBE-SERVICES -m comment --comment \"ns1/itp has no local endpoints\" -p tcp -m tcp -d 10.43.0.17/32 --dport 80 -j DROP"],
            Rules(Table(none, "filter"), "KUBE-SERVICES"));
    }

    [Theory]
    [InlineData("UDP", "-p udp -m udp")]
    [InlineData("SCTP", "-p sctp -m sctp")]
    public void Udp_and_sctp_match_their_protocol(string protocol, string match)
    {
        string nat = Table(Render([Service("p", "10.43.0.18", Port(null, 5000, protocol))], [Slice("p", null, 5000, protocol, Endpoint("10.42.0.9"))]), "nat");
        Assert.Contains($"{match} -d 10.43.0.18/32 --dport 5000 -j KUBE-SVC-", nat);
        Assert.Contains($"{match} -j DNAT --to-destination 10.42.0.9:5000", nat);
    }

    [Fact]
    public void Headless_and_ExternalName_services_and_other_ports_slices_are_skipped()
    {
        V1Service headless = Service("headless", "None", Port(null, 80));
        V1Service external = Service("ext", "", Port(null, 80));
        external.Spec.Type = "ExternalName";
        V1Service named = Service("named", "10.43.0.19", Port("http", 80));
        List<ServicePortEndpoints> ports = ServiceModel.Build(
            [headless, external, named],
            [Slice("headless", null, 80, "TCP", Endpoint("10.42.0.1")), Slice("named", "metrics", 9090, "TCP", Endpoint("10.42.0.2"))],
            "node-a");
        ServicePortEndpoints only = Assert.Single(ports);
        Assert.Equal("ns1/named:http", only.Service.Key);
        Assert.Empty(only.Endpoints);
    }

    [Fact]
    public void Chains_that_are_no_longer_wanted_are_flushed_and_deleted_in_the_same_restore()
    {
        RuleSet rules = Generate([], []);
        string text = rules.Render(staleFilter: [], staleNat: ["KUBE-SVC-OLDOLDOLDOLDOLD", "KUBE-SERVICES"]);
        string nat = Table(text, "nat");
        Assert.Contains(":KUBE-SVC-OLDOLDOLDOLDOLD - [0:0]\n", nat);
        Assert.Contains("-X KUBE-SVC-OLDOLDOLDOLDOLD\n", nat);
        Assert.DoesNotContain("-X KUBE-SERVICES", nat);
        Assert.Equal(1, Regex.Count(text, "^\\*nat$", RegexOptions.Multiline));
        Assert.Equal(2, Regex.Count(text, "^COMMIT$", RegexOptions.Multiline));
    }

    [Fact]
    public void Pod_traffic_leaving_the_cluster_network_is_masqueraded_and_marked_traffic_too()
    {
        string nat = Table(Render([], [], new ProxyOptions { NodeName = "node-a", ChainPrefix = "KUBE-", ClusterCidr = "10.99.0.0/16", MasqueradeBit = 12 }), "nat");
        Assert.Equal(
            [
                "-A KUBE-POSTROUTING -s 10.99.0.0/16 ! -d 10.99.0.0/16 -m comment --comment \"pod traffic leaving the cluster network\" -j MASQUERADE --random-fully",
                "-A KUBE-POSTROUTING -m mark ! --mark 0x1000/0x1000 -j RETURN",
                "-A KUBE-POSTROUTING -j MARK --xor-mark 0x1000",
                "-A KUBE-POSTROUTING -m comment --comment \"service traffic requiring SNAT\" -j MASQUERADE --random-fully",
            ],
            Rules(nat, "KUBE-POSTROUTING"));
        Assert.Equal(["-A KUBE-MARK-MASQ -j MARK --or-mark 0x1000"], Rules(nat, "KUBE-MARK-MASQ"));
    }

    [Fact]
    public void A_partial_sync_writes_only_the_chains_that_changed_and_deletes_the_ones_gone()
    {
        V1Service a = Service("a", "10.43.0.20", Port(null, 80));
        V1Service b = Service("b", "10.43.0.21", Port(null, 80));
        RuleSet before = Generate([a, b], [Slice("a", null, 80, "TCP", Endpoint("10.42.0.1")), Slice("b", null, 80, "TCP", Endpoint("10.42.0.2"), Endpoint("10.42.0.3"))]);
        Assert.Null(before.RenderChanges(before.Filter.Snapshot(), before.Nat.Snapshot()));

        RuleSet after = Generate([a, b], [Slice("a", null, 80, "TCP", Endpoint("10.42.0.1")), Slice("b", null, 80, "TCP", Endpoint("10.42.0.2"))]);
        string text = after.RenderChanges(before.Filter.Snapshot(), before.Nat.Snapshot())!;
        var portA = new ServicePortInfo("ns1", "a", "", "TCP", "10.43.0.20", 80);
        var portB = new ServicePortInfo("ns1", "b", "", "TCP", "10.43.0.21", 80);
        string gone = Chains.Sep(portB, new EndpointInfo("10.42.0.3", 80, true, true, false, true));
        Assert.DoesNotContain("*filter", text);
        Assert.Contains($":{Chains.Svc(portB)} - [0:0]\n", text);
        Assert.Contains($"-X {gone}\n", text);
        // Service a's chains and b's remaining endpoint chain are left as they are in the kernel.
        Assert.DoesNotContain(Chains.Svc(portA), text);
        Assert.DoesNotContain(Chains.Sep(portB, new EndpointInfo("10.42.0.2", 80, true, true, false, true)) + " - [0:0]", text);
        Assert.DoesNotContain(":KUBE-SERVICES", text);
    }
}
