namespace Navarch.Commands.CheckConfig;

/// <summary>
/// The prerequisites of a Navarch node (k3s's <c>check-config</c>, shortened to what Navarch uses): cgroups with
/// the memory controller, iptables, IP forwarding, bridge netfilter, containerd and runc, the CNI plugins, and
/// kubectl (optional). <paramref name="root"/> prefixes every file read, so tests can point it at a fake host.
/// </summary>
internal sealed class HostChecks(string root, IReadOnlyList<string> searchPath)
{
    /// <summary>The CNI plugins the agent's network config uses.</summary>
    public static readonly string[] CniPlugins = ["bridge", "host-local", "portmap", "loopback"];

    /// <summary>The folder of the CNI plugin binaries.</summary>
    public const string CniBinDir = "/usr/lib/cni";

    /// <summary>The checks for this host: PATH plus the sbin folders iptables usually lives in.</summary>
    public static HostChecks ForThisHost() =>
        new("/", (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]).Distinct().ToList());

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
    ];

    private string File(string path) => Path.Combine(root, path.TrimStart('/'));

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
        string? found = searchPath.Select(dir => Path.Combine(dir, binary)).FirstOrDefault(p => System.IO.File.Exists(File(p)));
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
