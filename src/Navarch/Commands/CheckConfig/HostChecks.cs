using System.Net;

namespace Navarch.Commands.CheckConfig;

/// <summary>
/// The prerequisites of a Navarch node (k3s's <c>check-config</c>, shortened to what Navarch uses): cgroups with
/// the memory controller, iptables, IP forwarding, bridge netfilter, containerd and runc, the CNI plugins, and
/// kubectl (optional); the tools the node calls (ip, mount, conntrack; ctr and modprobe optional); swap (warned: pods'
/// memory limits do not hold with it); the iptables flavour (nf_tables or legacy); and routes that overlap the cluster
/// or Service CIDR. <paramref name="root"/> prefixes every file read, so tests can point it at a fake host.
/// </summary>
internal sealed class HostChecks(string root, IReadOnlyList<string> searchPath)
{
    /// <summary>The CNI plugins the agent's network config uses.</summary>
    public static readonly string[] CniPlugins = ["bridge", "host-local", "portmap", "loopback"];

    /// <summary>The folder of the CNI plugin binaries.</summary>
    public const string CniBinDir = "/usr/lib/cni";

    /// <summary>The checks for this host: PATH plus the sbin folders iptables usually lives in.</summary>
    public static HostChecks ForThisHost(IPNetwork clusterCidr, IPNetwork serviceCidr, string bridgeName) =>
        new("/", (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]).Distinct().ToList())
        {
            ClusterCidr = clusterCidr,
            ServiceCidr = serviceCidr,
            BridgeName = bridgeName,
        };

    /// <summary>The pod network of the cluster (routes on <see cref="BridgeName"/> or through another node into it are the node's own).</summary>
    public IPNetwork ClusterCidr { get; init; } = IPNetwork.Parse("10.42.0.0/16");

    /// <summary>The ClusterIP range, which no route may reach.</summary>
    public IPNetwork ServiceCidr { get; init; } = IPNetwork.Parse("10.43.0.0/16");

    /// <summary>The pod bridge.</summary>
    public string BridgeName { get; init; } = "navarch0";

    /// <summary>Runs every check in order.</summary>
    public IReadOnlyList<CheckOutcome> Run() =>
    [
        Cgroups(),
        Binary("iptables", required: true, "apt-get install iptables"),
        Binary("iptables-restore", required: true, "apt-get install iptables"),
        Sysctl("net.ipv4.ip_forward", "sysctl -w net.ipv4.ip_forward=1"),
        BridgeNetfilter(),
        Binary("nft", required: false, "apt-get install nftables (NetworkPolicy enforcement, unless --disable-network-policy)"),
        Binary("containerd", required: true, "apt-get install containerd"),
        Binary("runc", required: true, "apt-get install runc"),
        Cni(),
        Binary("kubectl", required: false, "install kubectl, or use `navarch kubectl`'s fallback to PATH"),
        Binary("ip", required: true, "apt-get install iproute2"),
        Binary("mount", required: true, "apt-get install mount"),
        Binary("conntrack", required: true, "apt-get install conntrack (the proxy clears UDP flows of removed endpoints)"),
        Binary("ctr", required: false, "apt-get install containerd (ctr inspects the agent's containerd)"),
        Binary("modprobe", required: false, "apt-get install kmod (loads br_netfilter and overlay at start)"),
        IptablesMode(),
        Swap(),
        Routes("cluster-cidr", ClusterCidr, ownRoutes: true),
        Routes("service-cidr", ServiceCidr, ownRoutes: false),
    ];

    /// <summary>The swap devices in use and their total size in KiB, from <c>/proc/swaps</c> text (a header line, then one line per device).</summary>
    public static (int Devices, long KiB) ParseSwaps(string procSwaps)
    {
        var sizes = procSwaps.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 3)
            .Select(f => long.TryParse(f[2], System.Globalization.CultureInfo.InvariantCulture, out long size) ? size : 0)
            .ToList();
        return (sizes.Count, sizes.Sum());
    }

    private CheckOutcome Swap()
    {
        (int devices, long kib) = ParseSwaps(Read("/proc/swaps") ?? "");
        return devices == 0
            ? new("swap", CheckStatus.Pass, "off", null)
            : new("swap", CheckStatus.Warn, $"on ({devices} device(s), {kib / 1024} MiB): pods' memory limits do not bound their use", "swapoff -a, and remove swap from /etc/fstab");
    }

    /// <summary>iptables-nft or iptables-legacy, told by the links from iptables to the binary it runs (Debian's alternatives).</summary>
    private CheckOutcome IptablesMode()
    {
        const string name = "iptables-mode";
        string? path = searchPath.Select(dir => Path.Combine(dir, "iptables")).FirstOrDefault(Present);
        if (path is null)
        {
            return new(name, CheckStatus.Fail, "no iptables", "apt-get install iptables");
        }

        var names = new List<string>();
        for (int hop = 0; hop < 8 && path is not null; hop++)
        {
            names.Add(Path.GetFileName(path));
            string? target = new FileInfo(File(path)).LinkTarget;
            path = target is null ? null : Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(path)!, target);
        }

        bool nft = names.Any(n => n.Contains("nft", StringComparison.Ordinal));
        bool legacy = names.Any(n => n.Contains("legacy", StringComparison.Ordinal));
        string legacyTables = (Read("/proc/net/ip_tables_names") ?? "").Replace('\n', ' ').Trim();
        return (nft, legacy) switch
        {
            (true, false) when legacyTables.Length > 0 => new(name, CheckStatus.Warn, $"nf_tables ({string.Join(" -> ", names)}), but legacy tables are loaded too: {legacyTables}", "use one iptables flavour on this host (update-alternatives --set iptables /usr/sbin/iptables-nft)"),
            (true, false) => new(name, CheckStatus.Pass, $"nf_tables ({string.Join(" -> ", names)})", null),
            (false, true) => new(name, CheckStatus.Pass, $"legacy ({string.Join(" -> ", names)})", null),
            _ => new(name, CheckStatus.Warn, $"cannot tell nf_tables from legacy ({string.Join(" -> ", names)})", "iptables --version says which"),
        };
    }

    /// <summary>
    /// Routes that reach into <paramref name="cidr"/> from elsewhere: pods or ClusterIPs there would be unreachable or
    /// shadowed. In the cluster CIDR the node's own routes (on the pod bridge, or to another node's pod subnet
    /// through that node) are not counted.
    /// </summary>
    private CheckOutcome Routes(string name, IPNetwork cidr, bool ownRoutes)
    {
        List<HostRoute> overlapping = HostRoute.Parse(Read("/proc/net/route") ?? "")
            .Where(r => r.Overlaps(cidr))
            .Where(r => !(ownRoutes && (r.Interface == BridgeName || (r.HasGateway && cidr.Contains(r.Destination.BaseAddress) && r.Destination.PrefixLength >= cidr.PrefixLength))))
            .ToList();
        return overlapping.Count == 0
            ? new(name, CheckStatus.Pass, $"no route overlaps {cidr}", null)
            : new(name, CheckStatus.Fail, $"{cidr} overlaps the route(s) {string.Join(", ", overlapping.Select(r => $"{r.Destination} dev {r.Interface}"))}", $"choose another --{name}");
    }

    private string File(string path) => Path.Combine(root, path.TrimStart('/'));

    /// <summary>A file, or a link (whose target is for the link chain to tell, under the same root).</summary>
    private bool Present(string path) => System.IO.File.Exists(File(path)) || new FileInfo(File(path)).LinkTarget is not null;

    private string? Read(string path)
    {
        try
        {
            return System.IO.File.ReadAllText(File(path)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private CheckOutcome Cgroups()
    {
        const string name = "cgroups";
        string[] mounts = (Read("/proc/mounts") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var v1 = mounts.Select(m => m.Split(' ')).Where(f => f.Length > 3 && f[2] == "cgroup").ToList();
        bool v2 = mounts.Select(m => m.Split(' ')).Any(f => f.Length > 3 && f[2] == "cgroup2");
        string mode = (v1.Count > 0, v2) switch
        {
            (true, true) => "hybrid (v1 controllers + v2 unified)",
            (true, false) => "v1",
            (false, true) => "v2",
            _ => "",
        };
        if (mode.Length == 0)
        {
            return new(name, CheckStatus.Fail, "no cgroup filesystem is mounted", "mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup)");
        }

        bool memory = v1.Any(f => f[3].Split(',').Contains("memory"))
            || (v1.Count == 0 && (Read("/sys/fs/cgroup/cgroup.controllers") ?? "").Split(' ').Contains("memory"));
        return memory
            ? new(name, CheckStatus.Pass, $"{mode}, memory controller enabled", null)
            : new(name, CheckStatus.Fail, $"{mode}, but no memory controller", "boot with cgroup_enable=memory (and swapaccount=1), or enable memory in cgroup.subtree_control");
    }

    private CheckOutcome Binary(string binary, bool required, string fix)
    {
        string? found = searchPath.Select(dir => Path.Combine(dir, binary)).FirstOrDefault(Present);
        return found is not null
            ? new(binary, CheckStatus.Pass, found, null)
            : new(binary, required ? CheckStatus.Fail : CheckStatus.Warn, "not found in PATH", fix);
    }

    private CheckOutcome Sysctl(string key, string fix)
    {
        string? value = Read("/proc/sys/" + key.Replace('.', '/'));
        return value == "1"
            ? new(key, CheckStatus.Pass, "1", null)
            : new(key, CheckStatus.Fail, value is null ? "not available" : value, fix);
    }

    private CheckOutcome BridgeNetfilter()
    {
        const string name = "br_netfilter";
        string? value = Read("/proc/sys/net/bridge/bridge-nf-call-iptables");
        return value switch
        {
            null => new(name, CheckStatus.Fail, "module not loaded (no net.bridge.bridge-nf-call-iptables)", "modprobe br_netfilter && sysctl -w net.bridge.bridge-nf-call-iptables=1"),
            "1" => new(name, CheckStatus.Pass, "loaded, net.bridge.bridge-nf-call-iptables=1", null),
            _ => new(name, CheckStatus.Fail, $"loaded, but net.bridge.bridge-nf-call-iptables={value}", "sysctl -w net.bridge.bridge-nf-call-iptables=1"),
        };
    }

    private CheckOutcome Cni()
    {
        const string name = "cni-plugins";
        string[] missing = CniPlugins.Where(p => !System.IO.File.Exists(File(Path.Combine(CniBinDir, p)))).ToArray();
        return missing.Length == 0
            ? new(name, CheckStatus.Pass, $"{string.Join(", ", CniPlugins)} in {CniBinDir}", null)
            : new(name, CheckStatus.Fail, $"missing in {CniBinDir}: {string.Join(", ", missing)}", "apt-get install containernetworking-plugins");
    }
}
