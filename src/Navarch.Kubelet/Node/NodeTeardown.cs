using System.Diagnostics;
using Navarch.Kubelet.Containerd;
using Navarch.Kubelet.Network;

namespace Navarch.Kubelet.Node;

/// <summary>
/// What k3s's killall script does for a node, for one data dir: the Navarch processes running on it are stopped
/// (SIGTERM, then SIGKILL after a grace period), then the containerd and shims serving sockets under it with every
/// container, then whatever is mounted under it; the pod network namespaces left without a process, the pod bridge and
/// the CNI address leases go, so a cluster started afresh hands out no address a dead pod still holds. The proxy's
/// chains and the network policy table are the proxy's to remove (<c>navarch killall</c> does both).
/// </summary>
public sealed class NodeTeardown(string dataDir, string bridgeName, TextWriter log)
{
    private readonly string _root = Path.GetFullPath(dataDir).TrimEnd('/');

    /// <summary>How long stopped Navarch processes get to end on their own (they stop their containerd).</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether the data dir is the default one (processes without a <c>--data-dir</c> use it).</summary>
    public bool IsDefaultDataDir { get; init; }

    /// <summary>Runs every step in order; each says what it did on the log.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await StopNavarchAsync(cancellationToken).ConfigureAwait(false);
        foreach ((int pid, string what) in Processes((_, args) => IsRuntime(args)))
        {
            KillTree(pid, what);
        }

        Unmount();
        foreach (string device in await LocalPath.LoopImage.DetachAllUnderAsync(_root, cancellationToken).ConfigureAwait(false))
        {
            log.WriteLine($"detached the loop device {device}");
        }

        await DeleteEmptyPodNamespacesAsync(cancellationToken).ConfigureAwait(false);
        if (await PodBridge.DeleteAsync(bridgeName, cancellationToken).ConfigureAwait(false))
        {
            log.WriteLine($"deleted the pod bridge {bridgeName}");
        }

        string leases = Path.Combine(_root, "agent", "cni", "networks");
        if (Directory.Exists(leases))
        {
            Directory.Delete(leases, recursive: true);
            log.WriteLine($"removed the pod address leases in {leases}");
        }
    }

    private async Task StopNavarchAsync(CancellationToken cancellationToken)
    {
        List<(int Pid, string What)> running = Processes(IsNavarch).ToList();
        foreach ((int pid, string what) in running)
        {
            if (Signals.Kill(pid, Signals.SIGTERM) == 0)
            {
                log.WriteLine($"stopping {what} (pid {pid})");
            }
        }

        var clock = Stopwatch.StartNew();
        while (running.Any(p => Alive(p.Pid)) && clock.Elapsed < GracePeriod)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        foreach ((int pid, string what) in running.Where(p => Alive(p.Pid)))
        {
            KillTree(pid, what);
        }
    }

    /// <summary>
    /// The data dir a Navarch process runs on, from its pid and command line; null for the default. By default its
    /// <c>--data-dir</c>/<c>-d</c> flag; <c>navarch killall</c> also reads its environment and config file.
    /// </summary>
    public Func<int, string[], string?> DataDirOf { get; init; } = (_, args) => DataDirFlag(args);

    /// <summary>The value of <c>--data-dir</c>, <c>-d</c> or <c>--data-dir=</c> in <paramref name="args"/>, if any.</summary>
    public static string? DataDirFlag(string[] args)
    {
        int flag = Array.FindIndex(args, a => a is "--data-dir" or "-d");
        return flag >= 0 && flag + 1 < args.Length ? args[flag + 1]
            : args.FirstOrDefault(a => a.StartsWith("--data-dir=", StringComparison.Ordinal))?["--data-dir=".Length..];
    }

    /// <summary><c>navarch server|agent|kubelet</c> on this data dir (see <see cref="DataDirOf"/>; none is the default).</summary>
    private bool IsNavarch(int pid, string[] args)
    {
        int command = Array.FindIndex(args, a => a is "server" or "agent" or "kubelet");
        if (command < 1 || !args[..command].Any(a => Path.GetFileName(a) is "navarch" or "navarch.dll"))
        {
            return false;
        }

        string? given = DataDirOf(pid, args);
        return given is null ? IsDefaultDataDir : Path.GetFullPath(given).TrimEnd('/') == _root;
    }

    /// <summary>containerd, or a containerd shim, serving a socket under this data dir.</summary>
    private bool IsRuntime(string[] args) =>
        Path.GetFileName(args[0]) is "containerd" or "containerd-shim-runc-v2" && args.Skip(1).Any(a => a.StartsWith(_root + "/", StringComparison.Ordinal));

    private static IEnumerable<(int Pid, string What)> Processes(Func<int, string[], bool> match)
    {
        int self = Environment.ProcessId;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == self)
            {
                continue;
            }

            string[] args;
            try
            {
                args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (args.Length > 0 && match(pid, args))
            {
                yield return (pid, string.Join(' ', args.Take(3)));
            }
        }
    }

    private void KillTree(int pid, string what)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            log.WriteLine($"killed {what} (pid {pid}) and its children");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Gone meanwhile.
        }
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}");

    private void Unmount()
    {
        // Deepest first, lazily (a mount busy in a dying process still goes); the data dir itself stays mounted.
        foreach (string mount in Volumes.MountTable.MountsUnder(_root).Where(m => m != _root))
        {
            try
            {
                Volumes.MountTable.Unmount(mount);
                log.WriteLine($"unmounted {mount}");
            }
            catch (IOException e)
            {
                log.WriteLine($"could not unmount {mount}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// containerd's pod network namespaces (<c>cni-*</c>) in which no process runs any more and whose pod interface is a
    /// veth on this node's bridge: another cluster's on this machine (a second agent, a test) are not ours to delete,
    /// and one being set up has no process yet.
    /// </summary>
    private async Task DeleteEmptyPodNamespacesAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists("/run/netns"))
        {
            return;
        }

        foreach (string name in Directory.EnumerateFiles("/run/netns", "cni-*").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
        {
            var pids = new List<string>();
            if (await PodBridge.IpAsync(["netns", "pids", name], cancellationToken, pids).ConfigureAwait(false) is null && pids.Count == 0
                && await OnBridgeAsync(name, cancellationToken).ConfigureAwait(false)
                && await PodBridge.IpAsync(["netns", "delete", name], cancellationToken).ConfigureAwait(false) is null)
            {
                log.WriteLine($"deleted the network namespace {name}");
            }
        }
    }

    /// <summary>
    /// Whether a link of namespace <paramref name="name"/> is a veth whose host end is enslaved to this node's bridge:
    /// <c>ip -o link</c> names the peer's interface index (<c>eth0@if42</c>), and the host end's <c>master</c> is the bridge.
    /// </summary>
    private async Task<bool> OnBridgeAsync(string name, CancellationToken cancellationToken)
    {
        var links = new List<string>();
        if (await PodBridge.IpAsync(["-n", name, "-o", "link", "show"], cancellationToken, links).ConfigureAwait(false) is not null)
        {
            return false;
        }

        foreach (string line in links)
        {
            // "2: eth0@if4137: <BROADCAST,...> ..."
            string[] fields = line.Split(':', 3, StringSplitOptions.TrimEntries);
            int at = fields.Length > 1 ? fields[1].IndexOf("@if", StringComparison.Ordinal) : -1;
            if (at >= 0 && int.TryParse(fields[1][(at + 3)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int peer)
                && MasterOf(peer) == bridgeName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The bridge the host interface with index <paramref name="index"/> is enslaved to, if any.</summary>
    private static string? MasterOf(int index)
    {
        foreach (string link in Directory.EnumerateDirectories("/sys/class/net"))
        {
            try
            {
                if (int.TryParse(File.ReadAllText(Path.Combine(link, "ifindex")).Trim(), System.Globalization.CultureInfo.InvariantCulture, out int found) && found == index)
                {
                    var master = new FileInfo(Path.Combine(link, "master"));
                    return master.LinkTarget is { } target ? Path.GetFileName(target) : null;
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        return null;
    }
}
