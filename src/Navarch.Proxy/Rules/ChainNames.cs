using System.Security.Cryptography;
using System.Text;

namespace Navarch.Proxy.Rules;

/// <summary>
/// The names of the chains the proxy owns, all under one prefix. Per-Service and per-endpoint chains are named like
/// kube-proxy's (the same hash: ns1/svc1:p80 over TCP is …-SVC-XPGD46QRK7WJZT7O): the base32 of a SHA-256 over the service port name, protocol (and endpoint), cut so the whole name
/// stays within iptables' 28 characters.
/// </summary>
internal sealed class ChainNames(string prefix)
{
    private const int MaxChainLength = 28;
    private readonly Dictionary<string, string> _cache = new(StringComparer.Ordinal);

    /// <summary>The prefix every owned chain starts with.</summary>
    public string Prefix { get; } = prefix.Length <= 10 ? prefix : throw new ArgumentException("A chain prefix has at most 10 characters", nameof(prefix));

    /// <summary>ClusterIP, externalIP and load-balancer destinations (nat), and no-endpoint REJECTs for ClusterIPs (filter).</summary>
    public string Services => Prefix + "SERVICES";

    /// <summary>Node ports (nat).</summary>
    public string NodePorts => Prefix + "NODEPORTS";

    /// <summary>SNAT of marked traffic and of pod traffic leaving the cluster network (nat).</summary>
    public string Postrouting => Prefix + "POSTROUTING";

    /// <summary>Sets the masquerade mark (nat).</summary>
    public string MarkMasq => Prefix + "MARK-MASQ";

    /// <summary>No-endpoint REJECTs / DROPs for node ports, externalIPs and load-balancer IPs (filter).</summary>
    public string ExternalServices => Prefix + "EXTERNAL-SERVICES";

    /// <summary>Accepts forwarded service traffic: marked or part of a known connection (filter).</summary>
    public string Forward => Prefix + "FORWARD";

    /// <summary>
    /// Accepts traffic from and to the pod network (filter), jumped to after the service chains so a Service without
    /// endpoints is still rejected for pods (flannel's FLANNEL-FWD).
    /// </summary>
    public string PodForward => Prefix + "POD-FORWARD";

    /// <summary>A service port's chain over all its usable endpoints.</summary>
    public string Svc(ServicePortInfo port) => Hashed("SVC-", port.Key + Proto(port));

    /// <summary>A service port's chain over its local endpoints.</summary>
    public string Svl(ServicePortInfo port) => Hashed("SVL-", port.Key + Proto(port));

    /// <summary>A service port's chain for external destinations (node port, externalIPs, load-balancer IPs).</summary>
    public string Ext(ServicePortInfo port) => Hashed("EXT-", port.Key + Proto(port));

    /// <summary>An endpoint's chain (DNAT).</summary>
    public string Sep(ServicePortInfo port, EndpointInfo endpoint) => Hashed("SEP-", port.Key + Proto(port) + endpoint.Address);

    /// <summary>Whether <paramref name="chain"/> is one of this prefix's chains.</summary>
    public bool Owns(string chain) => chain.StartsWith(Prefix, StringComparison.Ordinal);

    // kube-proxy hashes the lower-case protocol, so the same Service port gets the same hash as there.
    private static string Proto(ServicePortInfo port) => port.Protocol.ToLowerInvariant();

    private string Hashed(string kind, string input)
    {
        string key = kind + input;
        lock (_cache)
        {
            if (_cache.TryGetValue(key, out string? cached))
            {
                return cached;
            }
        }

        string name = Compute(kind, input);
        lock (_cache)
        {
            // Names of Services long gone are not kept forever.
            if (_cache.Count > 200_000)
            {
                _cache.Clear();
            }

            _cache[key] = name;
        }

        return name;
    }

    private string Compute(string kind, string input)
    {
        string hash = Base32(SHA256.HashData(Encoding.UTF8.GetBytes(input)));
        int length = Math.Min(16, MaxChainLength - Prefix.Length - kind.Length);
        return Prefix + kind + hash[..length];
    }

    private static string Base32(byte[] data)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var text = new StringBuilder((data.Length * 8 / 5) + 1);
        int buffer = 0, bits = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }
}
