using System.Globalization;

namespace Navarch.Proxy.Rules;

/// <summary>
/// kube-proxy's iptables ruleset, computed whole from the Service ports and their endpoints. nat: ClusterIP,
/// externalIP and load-balancer destinations in SERVICES, node ports in NODEPORTS (reached for local destination
/// addresses), per-port SVC (all usable endpoints), SVL (local ones) and EXT (external destinations) chains, one SEP
/// chain per endpoint doing the DNAT; the masquerade mark for traffic from outside the pod network to a ClusterIP,
/// for external traffic under the Cluster policy and for hairpin traffic. filter: REJECT for ports with no
/// endpoints (connection refused at once), DROP when only the local endpoints count and there are none.
/// </summary>
internal sealed class RuleGenerator(ChainNames chains, ProxyOptions options)
{
    private readonly string _mark = options.MasqueradeMark;

    /// <summary>The chain names in use.</summary>
    public ChainNames Chains => chains;

    /// <summary>Builds the rules for <paramref name="ports"/>.</summary>
    public RuleSet Generate(IReadOnlyList<ServicePortEndpoints> ports)
    {
        var rules = new RuleSet();
        RuleSet.Table filter = rules.Filter, nat = rules.Nat;
        filter.Chain(chains.Services);
        filter.Chain(chains.ExternalServices);
        filter.Chain(chains.Forward);
        filter.Chain(chains.PodForward);
        nat.Chain(chains.Services);
        nat.Chain(chains.NodePorts);
        nat.Chain(chains.Postrouting);
        nat.Chain(chains.MarkMasq);

        string cluster = options.ClusterCidr;
        nat.Rule(chains.MarkMasq, $"-j MARK --or-mark {_mark}");
        // Pods reach the world with the node's address (the CNI bridge runs without ipMasq: this is the one place).
        nat.Rule(chains.Postrouting, $"-s {cluster} ! -d {cluster} -m comment --comment \"pod traffic leaving the cluster network\" -j MASQUERADE --random-fully");
        nat.Rule(chains.Postrouting, $"-m mark ! --mark {_mark}/{_mark} -j RETURN");
        nat.Rule(chains.Postrouting, $"-j MARK --xor-mark {_mark}");
        nat.Rule(chains.Postrouting, "-m comment --comment \"service traffic requiring SNAT\" -j MASQUERADE --random-fully");

        filter.Rule(chains.Forward, $"-m comment --comment \"forwarding rules\" -m mark --mark {_mark}/{_mark} -j ACCEPT");
        filter.Rule(chains.Forward, "-m comment --comment \"forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        filter.Rule(chains.PodForward, $"-s {cluster} -m comment --comment \"pod network\" -j ACCEPT");
        filter.Rule(chains.PodForward, $"-d {cluster} -m comment --comment \"pod network\" -j ACCEPT");

        foreach (ServicePortEndpoints port in ports)
        {
            AddPort(rules, port);
        }

        nat.Rule(chains.Services, $"-m comment --comment \"service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j {chains.NodePorts}");
        return rules;
    }

    private void AddPort(RuleSet rules, ServicePortEndpoints port)
    {
        RuleSet.Table filter = rules.Filter, nat = rules.Nat;
        ServicePortInfo sp = port.Service;
        string key = sp.Key;
        string proto = sp.Protocol.ToLowerInvariant();
        string match = $"-p {proto} -m {proto}";
        IReadOnlyList<EndpointInfo> clusterEps = port.ClusterEndpoints;
        IReadOnlyList<EndpointInfo> localEps = port.LocalEndpoints;
        IReadOnlyList<EndpointInfo> internalEps = sp.InternalPolicyLocal ? localEps : clusterEps;
        IReadOnlyList<EndpointInfo> externalEps = sp.ExternalPolicyLocal ? localEps : clusterEps;
        string svc = chains.Svc(sp), svl = chains.Svl(sp), ext = chains.Ext(sp);
        string clusterIpRule = $"-m comment --comment \"{key} cluster IP\" {match} -d {sp.ClusterIp}/32 --dport {sp.Port}";

        if (clusterEps.Count > 0)
        {
            nat.Chain(svc);
            nat.Rule(svc, $"{clusterIpRule} ! -s {options.ClusterCidr} -j {chains.MarkMasq}");
            AddBalancing(nat, svc, sp, clusterEps);
        }

        bool usesLocal = (sp.InternalPolicyLocal || sp.ExternalPolicyLocal) && localEps.Count > 0;
        if (usesLocal)
        {
            nat.Chain(svl);
            if (sp.InternalPolicyLocal)
            {
                nat.Rule(svl, $"{clusterIpRule} ! -s {options.ClusterCidr} -j {chains.MarkMasq}");
            }

            AddBalancing(nat, svl, sp, localEps);
        }

        // ClusterIP.
        if (internalEps.Count > 0)
        {
            nat.Rule(chains.Services, $"{clusterIpRule} -j {(sp.InternalPolicyLocal ? svl : svc)}");
        }
        else
        {
            (string reason, string target) = NoEndpoints(clusterEps.Count == 0);
            filter.Rule(chains.Services, $"-m comment --comment \"{key} {reason}\" {match} -d {sp.ClusterIp}/32 --dport {sp.Port} -j {target}");
        }

        if (!sp.HasExternal)
        {
            return;
        }

        // Node port, externalIPs, load-balancer IPs.
        if (externalEps.Count > 0)
        {
            nat.Chain(ext);
            if (sp.NodePort > 0)
            {
                nat.Rule(chains.NodePorts, $"-m comment --comment \"{key}\" {match} --dport {sp.NodePort} -j {ext}");
            }

            foreach (string ip in sp.ExternalIps)
            {
                nat.Rule(chains.Services, $"-m comment --comment \"{key} external IP\" {match} -d {ip}/32 --dport {sp.Port} -j {ext}");
            }

            foreach (string ip in sp.LoadBalancerIps)
            {
                nat.Rule(chains.Services, $"-m comment --comment \"{key} loadbalancer IP\" {match} -d {ip}/32 --dport {sp.Port} -j {ext}");
            }

            if (sp.ExternalPolicyLocal)
            {
                // The client's address is kept: only pods and the node itself (which has no usable source) go anywhere.
                nat.Rule(ext, $"-s {options.ClusterCidr} -m comment --comment \"pod traffic for {key} external destinations\" -j {svc}");
                nat.Rule(ext, $"-m comment --comment \"masquerade LOCAL traffic for {key} external destinations\" -m addrtype --src-type LOCAL -j {chains.MarkMasq}");
                nat.Rule(ext, $"-m comment --comment \"route LOCAL traffic for {key} external destinations\" -m addrtype --src-type LOCAL -j {svc}");
                nat.Rule(ext, $"-j {svl}");
            }
            else
            {
                nat.Rule(ext, $"-m comment --comment \"masquerade traffic for {key} external destinations\" -j {chains.MarkMasq}");
                nat.Rule(ext, $"-j {svc}");
            }
        }
        else
        {
            (string reason, string target) = NoEndpoints(clusterEps.Count == 0);
            string comment = $"-m comment --comment \"{key} {reason}\"";
            if (sp.NodePort > 0)
            {
                filter.Rule(chains.ExternalServices, $"{comment} -m addrtype --dst-type LOCAL {match} --dport {sp.NodePort} -j {target}");
            }

            foreach (string ip in sp.ExternalIps.Concat(sp.LoadBalancerIps))
            {
                filter.Rule(chains.ExternalServices, $"{comment} {match} -d {ip}/32 --dport {sp.Port} -j {target}");
            }
        }
    }

    /// <summary>No endpoints at all: REJECT (ICMP port unreachable, the client fails at once); none local: DROP.</summary>
    private static (string Reason, string Target) NoEndpoints(bool none) =>
        none ? ("has no endpoints", "REJECT --reject-with icmp-port-unreachable") : ("has no local endpoints", "DROP");

    /// <summary>
    /// Spreads new connections evenly: endpoint i of n is taken with probability 1/(n-i) among those left; with
    /// ClientIP affinity a client seen within the timeout goes back to its endpoint first.
    /// </summary>
    private void AddBalancing(RuleSet.Table nat, string chain, ServicePortInfo sp, IReadOnlyList<EndpointInfo> endpoints)
    {
        string key = sp.Key;
        if (sp.AffinitySeconds is int seconds)
        {
            foreach (EndpointInfo ep in endpoints)
            {
                string sep = chains.Sep(sp, ep);
                nat.Rule(chain, $"-m comment --comment \"{key} -> {ep.Address}\" -m recent --name {sep} --rcheck --seconds {seconds} --reap -j {sep}");
            }
        }

        for (int i = 0; i < endpoints.Count; i++)
        {
            EndpointInfo ep = endpoints[i];
            string sep = chains.Sep(sp, ep);
            string statistic = i < endpoints.Count - 1
                ? $" -m statistic --mode random --probability {(1.0 / (endpoints.Count - i)).ToString("F10", CultureInfo.InvariantCulture)}"
                : "";
            nat.Rule(chain, $"-m comment --comment \"{key} -> {ep.Address}\"{statistic} -j {sep}");
            AddEndpointChain(nat, sp, ep);
        }
    }

    private void AddEndpointChain(RuleSet.Table nat, ServicePortInfo sp, EndpointInfo ep)
    {
        string sep = chains.Sep(sp, ep);
        if (nat.Chains.Contains(sep))
        {
            return; // Shared by the SVC and SVL chains.
        }

        nat.Chain(sep);
        string comment = $"-m comment --comment \"{sp.Key}\"";
        // Hairpin: a pod reaching itself through its Service must see the node as the source, not itself.
        nat.Rule(sep, $"{comment} -s {ep.Ip}/32 -j {chains.MarkMasq}");
        string recent = sp.AffinitySeconds is null ? "" : $" -m recent --set --name {sep} --mask 255.255.255.255 --rsource";
        nat.Rule(sep, $"{comment} -p {sp.Protocol.ToLowerInvariant()}{recent} -m {sp.Protocol.ToLowerInvariant()} -j DNAT --to-destination {ep.Address}");
    }
}
