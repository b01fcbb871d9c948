using System.Globalization;
using k8s.Models;
using Navarch.Api.Selectors;
using Navarch.Proxy.NetworkPolicy.Model;

namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>
/// Kubernetes' NetworkPolicy semantics as one pure function from the cluster's state to what one node enforces
/// (kube-router's network policy controller computes the same, per node):
/// <list type="bullet">
/// <item>a pod is isolated for a direction when some policy of its namespace selects it and has that policy type
/// (types default to Ingress, plus Egress when egress rules exist); its traffic that way is then allowed only when
/// some rule of some such policy allows it (rules add up);</item>
/// <item>a peer's podSelector picks pods of the policy's namespace, or of the namespaces its namespaceSelector picks
/// (both given: both must hold); an empty selector picks all; an ipBlock is its cidr less its excepts;</item>
/// <item>a rule without peers allows any peer, without ports any port; a named port means, on each destination pod,
/// its container port of that name and protocol (ingress: the selected pods; egress: the peer pods);</item>
/// <item>local pods isolated by the same policies share one chain, rules with the same peer addresses one set.</item>
/// </list>
/// Replies, and traffic from the node to its own pods, are allowed by the table around these chains.
/// </summary>
internal static class NetworkPolicyCompiler
{
    private const string NamespaceNameLabel = "kubernetes.io/metadata.name";
    private static readonly HashSet<string> Protocols = new(StringComparer.Ordinal) { "tcp", "udp", "sctp" };

    /// <summary>What <paramref name="nodeName"/> enforces for <paramref name="inputs"/>.</summary>
    public static PolicyDataplane Compile(PolicyInputs inputs, string nodeName)
    {
        List<CompiledPolicy> policies = inputs.Policies
            .Select(p => new CompiledPolicy(p))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ToList();
        var pods = new PodIndex(inputs);
        var dataplane = new PolicyDataplane([], [], new(StringComparer.Ordinal), new(StringComparer.Ordinal));

        // One pod per address: a pod whose address another pod still holds (a race of restarts) must not make two
        // entries for it; the first by name wins, the same on every sync.
        List<PodEndpoint> local = inputs.Pods
            .Where(p => !p.PeerOnly && p.Node == nodeName)
            .OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal)
            .DistinctBy(p => p.Ip)
            .ToList();
        foreach (PolicyDirection direction in new[] { PolicyDirection.Ingress, PolicyDirection.Egress })
        {
            SortedDictionary<uint, string> isolated = direction == PolicyDirection.Ingress ? dataplane.IngressPods : dataplane.EgressPods;
            var groups = local
                .Select(pod => (Pod: pod, Policies: policies.Where(p => p.Isolates(direction) && p.Namespace == pod.Namespace && p.PodSelector.Matches(pod.Labels)).ToList()))
                .Where(g => g.Policies.Count > 0)
                .GroupBy(g => string.Join('\n', g.Policies.Select(p => p.Key)), StringComparer.Ordinal);
            foreach (var group in groups)
            {
                List<CompiledPolicy> selecting = group.First().Policies;
                List<PodEndpoint> members = group.Select(g => g.Pod).ToList();
                string chain = PolicyObjectNames.Chain(direction, selecting.Select(p => p.Key));
                List<AllowRule> rules = selecting.SelectMany(p => CompileRules(p, direction, members, pods, dataplane.Sets)).ToList();
                dataplane.Chains[chain] = new PolicyChain(chain, direction, selecting.Select(p => p.Key).ToList(), rules);
                foreach (PodEndpoint member in members)
                {
                    isolated[member.Ip] = chain;
                }
            }
        }

        return dataplane;
    }

    private static IEnumerable<AllowRule> CompileRules(CompiledPolicy policy, PolicyDirection direction, List<PodEndpoint> members, PodIndex pods, SortedDictionary<string, IReadOnlyList<IpRange>> sets)
    {
        int index = -1;
        foreach ((IList<V1NetworkPolicyPeer>? peers, IList<V1NetworkPolicyPort>? ports) in policy.Rules(direction))
        {
            index++;
            string comment = $"{policy.Key} {(direction == PolicyDirection.Ingress ? "ingress" : "egress")}[{index}]";
            string? peerSet = null;
            List<PodEndpoint>? peerPods = null;
            if (peers is { Count: > 0 })
            {
                List<IpRange> ranges = [];
                peerPods = [];
                foreach (V1NetworkPolicyPeer peer in peers)
                {
                    if (peer?.IpBlock is { } block)
                    {
                        ranges.AddRange(BlockRanges(block));
                    }
                    else if (peer is not null && (peer.PodSelector is not null || peer.NamespaceSelector is not null))
                    {
                        peerPods.AddRange(pods.Select(policy.Namespace, peer.NamespaceSelector, peer.PodSelector));
                    }
                }

                ranges.AddRange(peerPods.Select(p => IpRange.Single(p.Ip)));
                if (ranges.Count == 0)
                {
                    // Peers that are no one: the rule allows nothing.
                    continue;
                }

                List<IpRange> union = IpRangeSet.Union(ranges);
                peerSet = PolicyObjectNames.PeerSet(union);
                sets[peerSet] = union;
            }

            if (ports is not { Count: > 0 })
            {
                yield return new AllowRule(peerSet, null, null, null, null, comment);
                continue;
            }

            foreach (V1NetworkPolicyPort port in ports)
            {
                string protocol = (port?.Protocol is { Length: > 0 } p ? p : "TCP").ToLowerInvariant();
                if (!Protocols.Contains(protocol))
                {
                    // Validation refuses it; one stored before must not break the whole table.
                    continue;
                }

                string? value = port?.Port?.Value;
                if (string.IsNullOrEmpty(value))
                {
                    yield return new AllowRule(peerSet, protocol, null, null, null, comment);
                }
                else if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
                {
                    int? end = port!.EndPort is { } e && e > number ? e : null;
                    yield return new AllowRule(peerSet, protocol, number, end, null, comment);
                }
                else
                {
                    // Ingress: the port as each selected pod names it; egress: as each peer pod (any pod when the rule
                    // has no peers) names it. Addresses that are not pods (ipBlocks) have no named ports.
                    IEnumerable<PodEndpoint> destinations = direction == PolicyDirection.Ingress ? members : peerPods ?? pods.All;
                    List<DestinationPort> resolved = destinations
                        .Select(d => (d.Ip, Port: d.NamedPort(value, protocol)))
                        .Where(d => d.Port is not null)
                        .Select(d => new DestinationPort(d.Ip, d.Port!.Value))
                        .Distinct()
                        .OrderBy(d => d.Ip).ThenBy(d => d.Port)
                        .ToList();
                    if (resolved.Count > 0)
                    {
                        yield return new AllowRule(direction == PolicyDirection.Ingress ? peerSet : null, protocol, null, null, resolved, comment);
                    }
                }
            }
        }
    }

    private static List<IpRange> BlockRanges(V1IPBlock block)
    {
        if (IpRange.ParseCidr(block.Cidr) is not { } cidr)
        {
            return [];
        }

        return IpRangeSet.Subtract(cidr, (block.Except ?? []).Select(IpRange.ParseCidr).OfType<IpRange>());
    }

    /// <summary>The pods by namespace, and each namespace's labels (with the name label every namespace has).</summary>
    private sealed class PodIndex
    {
        private readonly Dictionary<string, List<PodEndpoint>> _byNamespace;
        private readonly Dictionary<string, IDictionary<string, string>> _namespaceLabels = new(StringComparer.Ordinal);

        public PodIndex(PolicyInputs inputs)
        {
            All = inputs.Pods;
            _byNamespace = inputs.Pods.GroupBy(p => p.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            foreach (string ns in _byNamespace.Keys)
            {
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                if (inputs.NamespaceLabels.TryGetValue(ns, out IDictionary<string, string>? known) && known is not null)
                {
                    foreach ((string key, string value) in known)
                    {
                        labels[key] = value;
                    }
                }

                labels[NamespaceNameLabel] = ns;
                _namespaceLabels[ns] = labels;
            }
        }

        public IReadOnlyList<PodEndpoint> All { get; }

        /// <summary>The pods a peer's selectors pick.</summary>
        public IEnumerable<PodEndpoint> Select(string policyNamespace, V1LabelSelector? namespaceSelector, V1LabelSelector? podSelector)
        {
            LabelSelector? pod = podSelector is null ? null : LabelSelector.From(podSelector);
            LabelSelector? ns = namespaceSelector is null ? null : LabelSelector.From(namespaceSelector);
            IEnumerable<string> namespaces = ns is null
                ? [policyNamespace]
                : _namespaceLabels.Where(n => ns.Matches(n.Value)).Select(n => n.Key);
            return namespaces
                .SelectMany(n => _byNamespace.GetValueOrDefault(n) ?? [])
                .Where(p => pod is null || pod.Matches(p.Labels));
        }
    }
}
