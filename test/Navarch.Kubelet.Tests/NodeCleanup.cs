using System.Diagnostics;
using Grpc.Core;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// Removes what a test's kubelet left on the machine: its pod sandboxes (with their network namespaces and IP
/// leases); after containerd stopped and <see cref="Node.NodeTeardown"/> ran, the pod cgroup and the data dir.
/// </summary>
internal static class NodeCleanup
{
    /// <summary>Waits until the runtime has no sandbox left (the kubelet removed them) or <paramref name="timeout"/> passed.</summary>
    public static async Task WaitForNoSandboxesAsync(string socket, TimeSpan timeout)
    {
        if (!File.Exists(socket))
        {
            return;
        }

        using var cri = new CriConnection(socket);
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < timeout
                && (await ListWithinAsync(cri.Runtime, TimeSpan.FromSeconds(10))).Count > 0)
            {
                await Task.Delay(250);
            }
        }
        catch (RpcException)
        {
        }
    }

    public static async Task RemoveSandboxesAsync(string socket)
    {
        if (!File.Exists(socket))
        {
            return;
        }

        using var cri = new CriConnection(socket);
        try
        {
            foreach (PodSandbox sandbox in await ListWithinAsync(cri.Runtime, TimeSpan.FromSeconds(10)))
            {
                // The sandbox's network namespace, removed by hand if containerd could not (e.g. CNI was not ready).
                using var statusTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                PodSandboxStatusResponse status = await cri.Runtime.PodSandboxStatusAsync(sandbox.Id, verbose: true, statusTimeout.Token);
                string? netns = NetnsOf(status);
                try
                {
                    using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await cri.Runtime.StopPodSandboxAsync(sandbox.Id, stopTimeout.Token);
                    using var removeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await cri.Runtime.RemovePodSandboxAsync(sandbox.Id, removeTimeout.Token);
                }
                catch (RpcException)
                {
                }

                if (netns is not null && File.Exists(netns) && netns.StartsWith("/var/run/netns/", StringComparison.Ordinal))
                {
                    Run("ip", "netns", "delete", Path.GetFileName(netns));
                }
            }
        }
        catch (RpcException)
        {
            // containerd is gone already; the mounts below are still cleaned.
        }
    }

    private static async Task<IReadOnlyList<PodSandbox>> ListWithinAsync(IRuntimeService runtime, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await runtime.ListPodSandboxAsync(null, cts.Token);
    }

    private static string? NetnsOf(PodSandboxStatusResponse status)
    {
        if (!status.Info.TryGetValue("info", out string? info))
        {
            return null;
        }

        using var doc = System.Text.Json.JsonDocument.Parse(info);
        if (!doc.RootElement.TryGetProperty("runtimeSpec", out System.Text.Json.JsonElement spec)
            || !spec.TryGetProperty("linux", out System.Text.Json.JsonElement linux)
            || !linux.TryGetProperty("namespaces", out System.Text.Json.JsonElement namespaces))
        {
            return null;
        }

        return namespaces.EnumerateArray()
            .Where(n => n.GetProperty("type").GetString() == "network" && n.TryGetProperty("path", out _))
            .Select(n => n.GetProperty("path").GetString())
            .FirstOrDefault();
    }

    /// <summary>Removes containerd's pod cgroup if no container is left in it, then the data dir.</summary>
    public static void RemoveDataDir(string dataDir)
    {
        string root = Path.GetFullPath(dataDir);

        // containerd's parent cgroup of pods; rmdir succeeds only when no container of any runtime is left in it.
        foreach (string cgroup in Directory.EnumerateDirectories("/sys/fs/cgroup").SelectMany(c => new[] { Path.Combine(c, "k8s.io"), Path.Combine(c, "unified", "k8s.io") }).Append("/sys/fs/cgroup/k8s.io"))
        {
            try
            {
                if (Directory.Exists(cgroup) && Directory.GetDirectories(cgroup).Length == 0)
                {
                    Directory.Delete(cgroup);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Run(string file, params string[] args)
    {
        using Process? p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true });
        p?.WaitForExit();
    }
}
