using k8s.Models;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// A pod's resolv.conf, by the kubelet's rules (pkg/kubelet/network/dns): ClusterFirst (not hostNetwork) and
/// ClusterFirstWithHostNet use the cluster DNS with the pod's search path <c>ns.svc.domain svc.domain domain</c> plus
/// the host's, and <c>ndots:5</c>; Default (and ClusterFirst on the host network, or with no cluster DNS configured)
/// uses the node's resolv.conf; None starts empty. <c>spec.dnsConfig</c> is then appended: nameservers and searches
/// without duplicates, options merged by name (the pod's value wins). At most 3 nameservers, 32 search domains of
/// 2048 characters in all.
/// </summary>
internal static class PodDns
{
    public const int MaxNameservers = 3;
    public const int MaxSearchPaths = 32;
    public const int MaxSearchListChars = 2048;

    /// <summary>The sandbox DNS config of <paramref name="pod"/> on a kubelet with <paramref name="options"/>.</summary>
    public static DNSConfig Sandbox(KubeletOptions options, V1Pod pod)
    {
        ResolvConfig config = For(pod, options.ClusterDns, options.ClusterDomain, ResolvConfig.Read("/etc/resolv.conf"));
        var dns = new DNSConfig();
        dns.Servers.AddRange(config.Nameservers);
        dns.Searches.AddRange(config.Searches);
        dns.Options.AddRange(config.Options);
        return dns;
    }

    /// <summary>The resolv.conf of <paramref name="pod"/>, given the cluster DNS (comma-separated), domain and the node's resolv.conf.</summary>
    public static ResolvConfig For(V1Pod pod, string clusterDns, string clusterDomain, ResolvConfig host)
    {
        V1PodSpec spec = pod.Spec;
        string[] clusterServers = clusterDns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        List<string> servers, searches, options;
        switch (spec.DnsPolicy ?? "ClusterFirst")
        {
            case "None":
                (servers, searches, options) = ([], [], []);
                break;
            case "ClusterFirstWithHostNet" when clusterServers.Length > 0:
            case "ClusterFirst" when spec.HostNetwork != true && clusterServers.Length > 0:
                string ns = pod.Metadata.NamespaceProperty ?? "default";
                servers = [.. clusterServers];
                searches = [$"{ns}.svc.{clusterDomain}", $"svc.{clusterDomain}", clusterDomain, .. host.Searches];
                options = ["ndots:5"];
                break;
            default:
                (servers, searches, options) = ([.. host.Nameservers], [.. host.Searches], [.. host.Options]);
                break;
        }

        if (spec.DnsConfig is { } extra)
        {
            servers.AddRange(extra.Nameservers ?? []);
            searches.AddRange(extra.Searches ?? []);
            options = MergeOptions(options, (extra.Options ?? []).Select(o => o.Value is null ? o.Name : $"{o.Name}:{o.Value}"));
        }

        return new ResolvConfig([.. servers.Distinct().Take(MaxNameservers)], FitSearches(searches.Distinct()), options);
    }

    /// <summary>Options by name in order of first appearance; a later value for the same name replaces the earlier one.</summary>
    private static List<string> MergeOptions(IEnumerable<string> first, IEnumerable<string> second)
    {
        var merged = new List<string>();
        foreach (string option in first.Concat(second))
        {
            string name = option.Split(':', 2)[0];
            int at = merged.FindIndex(o => o.Split(':', 2)[0] == name);
            if (at >= 0)
            {
                merged[at] = option;
            }
            else
            {
                merged.Add(option);
            }
        }

        return merged;
    }

    /// <summary>The first search domains that fit both limits.</summary>
    private static List<string> FitSearches(IEnumerable<string> searches)
    {
        var result = new List<string>();
        int chars = 0;
        foreach (string search in searches.Take(MaxSearchPaths))
        {
            int added = search.Length + (result.Count == 0 ? 0 : 1);
            if (chars + added > MaxSearchListChars)
            {
                break;
            }

            chars += added;
            result.Add(search);
        }

        return result;
    }
}
