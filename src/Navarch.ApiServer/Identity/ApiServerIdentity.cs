using System.Security.Cryptography;
using System.Text;

namespace Navarch.ApiServer.Identity;

/// <summary>
/// kube-apiserver's APIServerIdentity: the id an API server is known by among its peers (the name of its identity Lease
/// in <c>kube-system</c>) and the labels that mark such a Lease.
/// </summary>
internal static class ApiServerIdentity
{
    /// <summary>The label marking an identity Lease and naming the component that holds it.</summary>
    public const string ComponentLabel = "apiserver.kubernetes.io/identity";

    /// <summary>The component label's value for an API server.</summary>
    public const string KubeApiServer = "kube-apiserver";

    /// <summary>The selector of API server identity Leases (KubeAPIServerIdentityLeaseLabelSelector).</summary>
    public const string LeaseSelector = ComponentLabel + "=" + KubeApiServer;

    /// <summary>The host name label (<c>kubernetes.io/hostname</c>), set on the Lease for finding a server's Lease by its machine.</summary>
    public const string HostnameLabel = "kubernetes.io/hostname";

    /// <summary>
    /// <c>kube-apiserver-</c> and the first 16 bytes of a SHA-256, in unpadded lowercase base32, as kube-apiserver names
    /// itself. kube-apiserver hashes the host name alone (one API server per machine); Navarch may run several servers
    /// on one machine (each on its own loopback address, for trying HA), so the full path of the server's data dir goes
    /// into the hash too: the id stays the same across restarts of a server and differs between servers on one host.
    /// </summary>
    public static string Of(string hostname, string dataDir)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{hostname}\n{Path.GetFullPath(dataDir)}"));
        return KubeApiServer + "-" + Base32(hash.AsSpan(0, 16));
    }

    /// <summary>RFC 4648 base32, lowercase, without padding (Go's base32.StdEncoding.WithPadding(NoPadding), lowered).</summary>
    private static string Base32(ReadOnlySpan<byte> bytes)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var text = new StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (byte b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                text.Append(Alphabet[(buffer >> bits) & 31]);
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }
}
