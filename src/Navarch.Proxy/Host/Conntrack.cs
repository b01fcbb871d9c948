using Navarch.Proxy.Rules;

namespace Navarch.Proxy.Host;

/// <summary>
/// UDP has no connection to end, so conntrack keeps sending a client's datagrams to the endpoint it first got (or to
/// nowhere, while the Service had none). After a sync, entries of UDP Service ports whose endpoints went away, or
/// that just got their first endpoints, are deleted — with the Debian <c>conntrack</c> tool, when it is installed.
/// </summary>
internal sealed class Conntrack(CommandRunner runner)
{
    private readonly bool _available = CommandRunner.Exists("conntrack");
    private Dictionary<string, (List<string> Destinations, HashSet<string> Endpoints)> _previous = new(StringComparer.Ordinal);

    /// <summary>Whether the tool is there.</summary>
    public bool Available => _available;

    /// <summary>Deletes stale UDP entries between the last applied state and <paramref name="ports"/>; returns how many deletes ran.</summary>
    public async Task<int> ClearStaleAsync(IReadOnlyList<ServicePortEndpoints> ports, CancellationToken cancellationToken)
    {
        var current = new Dictionary<string, (List<string> Destinations, HashSet<string> Endpoints)>(StringComparer.Ordinal);
        foreach (ServicePortEndpoints port in ports.Where(p => p.Service.Protocol == "UDP"))
        {
            ServicePortInfo sp = port.Service;
            current[$"{sp.Key}/{sp.ClusterIp}"] = (
                [sp.ClusterIp, .. sp.ExternalIps, .. sp.LoadBalancerIps],
                port.ClusterEndpoints.Select(e => e.Ip).ToHashSet(StringComparer.Ordinal));
        }

        int runs = 0;
        if (_available)
        {
            foreach ((string key, (List<string> destinations, HashSet<string> endpoints)) in current)
            {
                if (!_previous.TryGetValue(key, out var before))
                {
                    continue;
                }

                foreach (string destination in destinations)
                {
                    if (before.Endpoints.Count == 0 && endpoints.Count > 0)
                    {
                        runs++;
                        await runner.RunAsync("conntrack", ["-D", "-p", "udp", "--orig-dst", destination], cancellationToken: cancellationToken).ConfigureAwait(false);
                    }

                    foreach (string gone in before.Endpoints.Where(e => !endpoints.Contains(e)))
                    {
                        runs++;
                        await runner.RunAsync("conntrack", ["-D", "-p", "udp", "--orig-dst", destination, "--dst-nat", gone], cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        _previous = current;
        return runs;
    }
}
