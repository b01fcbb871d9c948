using System.Diagnostics;
using System.Text.Json;

namespace Navarch.E2E.Tests;

/// <summary>A cluster a test drives with the real kubectl (<see cref="NavarchNode"/>, <see cref="NetnsCluster"/>).</summary>
public interface ITestCluster
{
    string Kubeconfig { get; }

    Task<Kubectl.Result> KubectlAsync(params string[] args);

    /// <summary>Pods, events and log tails, for a failure message.</summary>
    Task<string> DiagnosticsAsync();
}

/// <summary>What tests do with a cluster: kubectl that must succeed, apply, and waiting for a condition.</summary>
public static class TestClusterExtensions
{
    /// <summary>kubectl that must succeed; its stdout.</summary>
    public static async Task<string> OkAsync(this ITestCluster cluster, params string[] args)
    {
        Kubectl.Result r = await cluster.KubectlAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout;
    }

    /// <summary>`kubectl apply -f -` of <paramref name="yaml"/>, which must succeed.</summary>
    public static async Task ApplyAsync(this ITestCluster cluster, string yaml)
    {
        Kubectl.Result r = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], yaml);
        Assert.True(r.ExitCode == 0, $"kubectl apply failed ({r.ExitCode}): {r.Output}");
    }

    /// <summary>Runs kubectl with <paramref name="args"/> until <paramref name="done"/> holds of its trimmed stdout; that output.</summary>
    public static async Task<string> PollAsync(this ITestCluster cluster, string what, Func<string, bool> done, TimeSpan timeout, params string[] args)
    {
        Kubectl.Result? last = null;
        return (await Eventually(
            async () => last = await cluster.KubectlAsync(args),
            r => r.ExitCode == 0 && done(r.Stdout.Trim()),
            what,
            timeout,
            TimeSpan.FromMilliseconds(500),
            async () => $"last: {last?.Output.Trim()}\n{await cluster.DiagnosticsAsync()}")).Stdout.Trim();
    }
}

/// <summary>The clean-up steps the test clusters share.</summary>
internal static class TestProcesses
{
    /// <summary>
    /// Deletes the workloads, then every pod, and waits (a minute at most) for the kubelets to remove them. Workloads go
    /// in the foreground (each waits for what it owns), so no ReplicaSet still making pods outlives its Deployment; a pod
    /// made meanwhile is deleted in a second round.
    /// </summary>
    public static async Task DeletePodsAsync(string kubeconfig)
    {
        await Kubectl.RunAsync(kubeconfig, ["delete", "horizontalpodautoscalers,deployments,replicasets,daemonsets,statefulsets,jobs,cronjobs", "--all", "-A", "--cascade=foreground", "--timeout=60s"], timeout: TimeSpan.FromSeconds(70));
        for (int round = 0; round < 2; round++)
        {
            Kubectl.Result pods = await Kubectl.RunAsync(kubeconfig, ["get", "pods", "-A", "-o", "json"]);
            if (pods.ExitCode != 0)
            {
                return;
            }

            JsonElement[] items = [.. JsonDocument.Parse(pods.Stdout).RootElement.GetProperty("items").EnumerateArray()];
            if (items.Length == 0)
            {
                return;
            }

            foreach (JsonElement pod in items)
            {
                JsonElement meta = pod.GetProperty("metadata");
                await Kubectl.RunAsync(kubeconfig, ["delete", "pod", "-n", meta.GetProperty("namespace").GetString()!, meta.GetProperty("name").GetString()!, "--wait=false"]);
            }

            await Kubectl.RunAsync(kubeconfig, ["wait", "--for=delete", "pods", "--all", "-A", "--timeout=60s"], timeout: TimeSpan.FromSeconds(70));
        }
    }

    /// <summary>
    /// <c>navarch killall</c> for a stopped test node: its shims and containers, mounts, pod network namespaces, bridge and
    /// CNI leases, and its proxy's chains (<paramref name="chainPrefix"/>; none given: a prefix nothing uses, so no
    /// other cluster's chains are touched).
    /// </summary>
    public static Task TearDownAsync(string dataDir, string bridge, string? chainPrefix = null) =>
        RunAsync("dotnet", [NavarchServer.FindBinary(), "killall", "--data-dir", dataDir, "--bridge-name", bridge, "--proxy-chain-prefix", chainPrefix ?? "NVTEARDOWN-"], allowFailure: true);

    /// <summary>SIGTERM, then up to 30 s for a graceful exit, then SIGKILL; disposes the process.</summary>
    public static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            await RunAsync("kill", ["-TERM", process.Id.ToString()], allowFailure: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
    }

    /// <summary>
    /// Keeps what this machine was left with (by scripts/up.sh, say) away from a child process, so no test depends on
    /// it: navarch reads no /etc/navarch/config.yaml (NAVARCH_CONFIG_FILE names an empty file) and sees no NAVARCH_*
    /// variable or KUBECONFIG of the shell that runs the tests. A test that wants one sets it after this.
    /// </summary>
    public static ProcessStartInfo Isolated(this ProcessStartInfo start)
    {
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("NAVARCH_", StringComparison.Ordinal) || k == "KUBECONFIG").ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["NAVARCH_CONFIG_FILE"] = "/dev/null";
        return start;
    }

    /// <summary>Starts <paramref name="file"/> with its output appended to <paramref name="logPath"/>.</summary>
    public static Process StartLogged(string file, IEnumerable<string> args, string logPath)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }.Isolated();
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start)!;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>What a log (still being written) holds after its first <paramref name="offset"/> bytes.</summary>
    public static string ReadFrom(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The last lines of each *.log in <paramref name="dir"/> (the logs go with the data dir when a fixture ends).</summary>
    public static string LogTails(string dir, int lines = 25) => string.Join('\n', Directory.GetFiles(dir, "*.log").Select(f =>
    {
        using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return $"--- {Path.GetFileName(f)}\n" + string.Join('\n', new StreamReader(stream).ReadToEnd().Split('\n').TakeLast(lines));
    }));

    /// <summary>Pods, events, and the log tails of <paramref name="dataDir"/>, for a failure message.</summary>
    public static async Task<string> DiagnosticsAsync(ITestCluster cluster, string dataDir)
    {
        Kubectl.Result pods = await cluster.KubectlAsync("get", "pods", "-A", "-o", "wide");
        Kubectl.Result events = await cluster.KubectlAsync("get", "events", "-A", "--sort-by=.lastTimestamp");
        return $"{pods.Output}\n{events.Output}\n{LogTails(dataDir)}";
    }

    /// <summary>Lazily unmounts whatever is still mounted under <paramref name="dir"/>, deepest first.</summary>
    public static async Task UnmountUnderAsync(string dir)
    {
        foreach (string mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(dir + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
        {
            await RunAsync("umount", ["-l", mount], allowFailure: true);
        }
    }

    /// <summary>Runs a command to its end; unless <paramref name="allowFailure"/>, a non-zero exit fails the test with its stderr.</summary>
    public static async Task RunAsync(string file, string[] args, string workingDirectory = "/", bool allowFailure = false)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true }.Isolated();
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process p = Process.Start(info)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0 || allowFailure, $"{file} {string.Join(' ', args)} failed: {await err}");
    }
}
