using System.Text.Json;
using System.Text.Json.Nodes;

namespace Navarch.Kubelet.Network;

/// <summary>
/// The pod network of a node as a CNI config list: a Linux bridge with host-local IPAM over the node's pod CIDR
/// (the gateway is the CIDR's first address), portmap for hostPorts, and IP leases kept under the data dir so they
/// are this agent's own. containerd's CRI plugin reads it from its CNI conf dir.
/// </summary>
public sealed class CniConfig
{
    /// <summary>The network name (also the config file name).</summary>
    public string NetworkName { get; init; } = "navarch";

    /// <summary>The host bridge interface (at most 15 characters).</summary>
    public string BridgeName { get; init; } = "navarch0";

    /// <summary>The node's pod CIDR, e.g. 10.42.0.0/24.</summary>
    public required string PodCidr { get; init; }

    /// <summary>Where host-local keeps its IP allocations.</summary>
    public required string IpamDataDir { get; init; }

    /// <summary>Whether traffic leaving the pod network is masqueraded (adds iptables rules on the host).</summary>
    public bool IpMasq { get; init; }

    /// <summary>The conflist JSON.</summary>
    public string Render()
    {
        var root = new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = NetworkName,
            ["plugins"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "bridge",
                    ["bridge"] = BridgeName,
                    ["isGateway"] = true,
                    ["ipMasq"] = IpMasq,
                    ["hairpinMode"] = true,
                    ["ipam"] = new JsonObject
                    {
                        ["type"] = "host-local",
                        ["dataDir"] = IpamDataDir,
                        ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = PodCidr })),
                        ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
                    },
                },
                new JsonObject { ["type"] = "portmap", ["capabilities"] = new JsonObject { ["portMappings"] = true } }),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes the conflist into <paramref name="confDir"/> (atomically: containerd watches the folder).</summary>
    public async Task WriteAsync(string confDir, CancellationToken cancellationToken = default)
    {
        // Private to the agent's user, as the rest of the data dir (the IPAM plugin's own files keep its modes).
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(confDir, ownerOnly);
        Directory.CreateDirectory(IpamDataDir, ownerOnly);
        string path = Path.Combine(confDir, $"10-{NetworkName}.conflist");
        string temp = path + ".tmp";
        await using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(Render()), cancellationToken).ConfigureAwait(false);
        }

        File.Move(temp, path, overwrite: true);
    }
}
