using System.Globalization;
using System.Text;
using Navarch.Proxy.NetworkPolicy.Model;
using Navarch.Proxy.NetworkPolicy.Rules;

namespace Navarch.Proxy.NetworkPolicy.Nftables;

/// <summary>
/// Writes a <see cref="PolicyDataplane"/> as one <c>nft -f</c> transaction that replaces the controller's own table
/// whole (declare, delete, define: atomic, and correct whether the table existed or not). The table's base chains sit on
/// the forward hook (pod to pod on one node through the bridge with br_netfilter, between nodes, and from outside)
/// and the input hook (a pod to its own node); the output hook is left alone, so the node always reaches its pods
/// (kubelet probes). An nftables accept ends only this table's verdict — other tables (the proxy's iptables-nft rules)
/// still see the packet — so the table only ever rejects: replies of allowed connections pass first, then the
/// source's egress chain, then the destination's ingress chain, each returning when a rule allows the packet.
/// </summary>
internal static class NftablesRenderer
{
    /// <summary>The nft family of the table.</summary>
    public const string Family = "inet";

    /// <summary>The restore input for <paramref name="dataplane"/> in table <paramref name="table"/>.</summary>
    public static string Render(string table, PolicyDataplane dataplane)
    {
        var text = new StringBuilder(4096);
        text.Append("table ").Append(Family).Append(' ').Append(table).Append(" {}\n");
        text.Append("delete table ").Append(Family).Append(' ').Append(table).Append('\n');
        text.Append("table ").Append(Family).Append(' ').Append(table).Append(" {\n");
        Map(text, "ingress-pods", dataplane.IngressPods);
        Map(text, "egress-pods", dataplane.EgressPods);
        foreach ((string name, IReadOnlyList<IpRange> ranges) in dataplane.Sets)
        {
            text.Append("\tset ").Append(name).Append(" {\n\t\ttype ipv4_addr\n\t\tflags interval\n");
            Elements(text, ranges.Select(r => r.ToString()));
            text.Append("\t}\n");
        }

        foreach (PolicyChain chain in dataplane.Chains.Values)
        {
            text.Append("\tchain ").Append(chain.Name).Append(" {\n");
            foreach (AllowRule rule in chain.Rules)
            {
                text.Append("\t\t");
                Rule(text, chain.Direction, rule);
                text.Append('\n');
            }

            string direction = chain.Direction == PolicyDirection.Ingress ? "ingress" : "egress";
            text.Append("\t\treject comment \"").Append(Comment($"{direction} not allowed by {string.Join(", ", chain.Policies)}")).Append("\"\n");
            text.Append("\t}\n");
        }

        text.Append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
        text.Append("\t\tct state established,related accept\n");
        text.Append("\t\tip saddr vmap @egress-pods\n");
        text.Append("\t\tip daddr vmap @ingress-pods\n");
        text.Append("\t}\n");
        text.Append("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n");
        text.Append("\t\tct state established,related accept\n");
        text.Append("\t\tip saddr vmap @egress-pods\n");
        text.Append("\t}\n");
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>The nft command that removes the table (fails when there is none).</summary>
    public static string Delete(string table) => $"delete table {Family} {table}\n";

    private static void Map(StringBuilder text, string name, SortedDictionary<uint, string> pods)
    {
        text.Append("\tmap ").Append(name).Append(" {\n\t\ttype ipv4_addr : verdict\n");
        Elements(text, pods.Select(p => $"{IpRange.Format(p.Key)} : jump {p.Value}"));
        text.Append("\t}\n");
    }

    private static void Elements(StringBuilder text, IEnumerable<string> elements)
    {
        bool first = true;
        foreach (string element in elements)
        {
            text.Append(first ? "\t\telements = { " : ",\n\t\t\t").Append(element);
            first = false;
        }

        if (!first)
        {
            text.Append(" }\n");
        }
    }

    private static void Rule(StringBuilder text, PolicyDirection direction, AllowRule rule)
    {
        string peer = direction == PolicyDirection.Ingress ? "saddr" : "daddr";
        if (rule.PeerSet is { } set)
        {
            text.Append("ip ").Append(peer).Append(" @").Append(set).Append(' ');
        }

        if (rule.Destinations is { } destinations)
        {
            text.Append("ip daddr . ").Append(rule.Protocol).Append(" dport { ")
                .AppendJoin(", ", destinations.Select(d => $"{IpRange.Format(d.Ip)} . {d.Port.ToString(CultureInfo.InvariantCulture)}"))
                .Append(" } ");
        }
        else if (rule.Port is { } port)
        {
            text.Append(rule.Protocol).Append(" dport ").Append(port.ToString(CultureInfo.InvariantCulture));
            if (rule.EndPort is { } end)
            {
                text.Append('-').Append(end.ToString(CultureInfo.InvariantCulture));
            }

            text.Append(' ');
        }
        else if (rule.Protocol is { } protocol)
        {
            text.Append("meta l4proto ").Append(protocol).Append(' ');
        }

        text.Append("return comment \"").Append(Comment(rule.Comment)).Append('"');
    }

    // nft comments hold at most 128 bytes and no double quote.
    private static string Comment(string text)
    {
        string clean = text.Replace('"', '\'');
        return clean.Length <= 120 ? clean : clean[..117] + "...";
    }
}
