using System.Diagnostics;
using System.Text.RegularExpressions;
using Navarch.Testing;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests;

/// <summary>
/// scripts/install.sh end to end, into a temp root (its directory overrides): the unit it writes passes
/// <c>systemd-analyze verify</c>; the installed executable started with the unit's own ExecStart command line (no
/// systemd runs these machines) brings a node Ready that runs a pod; <c>navarch-killall.sh</c> leaves no process, mount,
/// network namespace, link or chain of it; <c>navarch-uninstall.sh</c> leaves no file.
/// </summary>
[Trait("Category", "Node")]
[Collection(PublishedBinaryCollection.Name)]
public sealed partial class InstallTests(PublishedBinary binary, ITestOutputHelper output)
{
    [Fact]
    public async Task Install_starts_with_the_units_command_line_and_killall_and_uninstall_leave_nothing()
    {
        Assert.True(Environment.UserName == "root", "the install test runs containerd and must run as root");
        output.WriteLine($"scripts/publish.sh took {binary.PublishTime.TotalSeconds:F0} s");
        string suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        // Short: containerd's sockets live under the data dir.
        string root = Path.Combine("/tmp", "nvi-" + suffix);
        string binDir = Path.Combine(root, "bin"), configDir = Path.Combine(root, "etc"), systemdDir = Path.Combine(root, "systemd"), dataDir = Path.Combine(root, "d");
        string bridge = "nvi" + suffix, chainPrefix = "I" + suffix.ToUpperInvariant() + "-", nodeName = "install-" + suffix;
        Process? service = null;
        try
        {
            string installed = await RunAsync(["bash", Path.Combine(PublishedBinary.Repo, "scripts", "install.sh"), "server"], new()
            {
                ["INSTALL_NAVARCH_BINARY"] = binary.Path,
                ["INSTALL_NAVARCH_BIN_DIR"] = binDir,
                ["INSTALL_NAVARCH_CONFIG_DIR"] = configDir,
                ["INSTALL_NAVARCH_SYSTEMD_DIR"] = systemdDir,
                ["INSTALL_NAVARCH_DATA_DIR"] = dataDir,
            });
            Assert.Contains("systemd does not run this machine", installed, StringComparison.Ordinal);
            string unit = Path.Combine(systemdDir, "navarch.service");
            foreach (string file in (string[])[Path.Combine(binDir, "navarch"), Path.Combine(binDir, "navarch-killall.sh"), Path.Combine(binDir, "navarch-uninstall.sh"), unit])
            {
                Assert.True(File.Exists(file), $"install.sh wrote no {file}:\n{installed}");
            }

            // systemd's own reading of the unit: a key it does not know, a bad value or a missing executable is said on stderr.
            (int verified, string verifyOutput) = await TryRunAsync(["systemd-analyze", "verify", unit]);
            Assert.True(verified == 0 && verifyOutput.Trim().Length == 0, $"systemd-analyze verify {unit}: {verifyOutput}");
            string unitText = File.ReadAllText(unit);
            foreach (string line in (string[])["KillMode=process", "Delegate=yes", "Restart=always", "LimitNOFILE=1048576"])
            {
                Assert.Contains(line, unitText, StringComparison.Ordinal);
            }

            // This machine's settings go in the config file the unit names (killall reads them from there too).
            string config = Path.Combine(configDir, "config.yaml");
            Assert.Contains($"data-dir: {dataDir}", File.ReadAllText(config), StringComparison.Ordinal);
            string serviceNet = $"10.{200 + Random.Shared.Next(50)}";
            string hostIp = NavarchNode.HostIp();
            await File.AppendAllLinesAsync(config, [
                $"node-name: {nodeName}", $"bridge-name: {bridge}", $"proxy-chain-prefix: {chainPrefix}", "bind-address: 127.0.0.1",
                $"https-listen-port: {FreePort.Next()}", $"kubelet-port: {FreePort.Next()}", $"cluster-dns-bind: {hostIp}:{FreePort.Next()}",
                $"cluster-cidr: 10.{100 + Random.Shared.Next(50)}.0.0/16", $"service-cidr: {serviceNet}.0.0/16", $"cluster-dns: {serviceNet}.0.10", $"node-ip: {hostIp}",
            ]);
            await RunAsync([Path.Combine(binDir, "navarch"), "images", "build-builtin", "-o", Path.Combine(dataDir, "agent", "images")]);

            string[] command = ExecStart(unitText);
            Assert.Equal([Path.Combine(binDir, "navarch"), "server", "--config", config], command);
            service = TestProcesses.StartLogged(command[0], command[1..], Path.Combine(root, "service.log"));
            string kubeconfig = Path.Combine(configDir, "navarch.yaml");
            Process started = service;
            await Eventually(
                async () =>
                {
                    Assert.False(started.HasExited, "the installed navarch exited:\n" + TestProcesses.LogTails(root));
                    return File.Exists(kubeconfig)
                        && (await Kubectl.RunAsync(kubeconfig, "get", "node", nodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).Stdout == "True";
                },
                "the installed node is Ready",
                TimeSpan.FromSeconds(120),
                TimeSpan.FromMilliseconds(500),
                () => Task.FromResult(TestProcesses.LogTails(root)));

            string token = "install-" + Guid.NewGuid().ToString("N")[..8];
            Kubectl.Result run = await Kubectl.RunAsync(kubeconfig, "run", "sleeper", "--image=busybox:1.35", "--restart=Never", "--", "sh", "-c", $"sleep 3600; echo {token}");
            Assert.True(run.ExitCode == 0, run.Output);
            Kubectl.Result ready = await Kubectl.RunAsync(kubeconfig, ["wait", "--for=condition=Ready", "pod/sleeper", "--timeout=90s"], timeout: TimeSpan.FromSeconds(100));
            Assert.True(ready.ExitCode == 0, ready.Output + TestProcesses.LogTails(root));
            string netns = await NodeLeftovers.NetnsOfAsync(token);

            string killed = await RunAsync([Path.Combine(binDir, "navarch-killall.sh")]);
            Assert.True(started.HasExited, "navarch-killall.sh left the service running:\n" + killed);
            await NodeLeftovers.AssertNoneAsync(dataDir, bridge, chainPrefix, netns, token);

            await RunAsync([Path.Combine(binDir, "navarch-uninstall.sh")]);
            Assert.DoesNotContain(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories), f => Path.GetFileName(f) != "service.log");
            Assert.False(Directory.Exists(dataDir));
            Assert.False(Directory.Exists(configDir));
        }
        finally
        {
            if (service is not null)
            {
                await TestProcesses.StopAsync(service);
            }

            // What a failed run left: the pods' processes, mounts, the bridge and the chains.
            LeftoverShims.Kill(dataDir);
            if (File.Exists(Path.Combine(binDir, "navarch")))
            {
                await TestProcesses.RunAsync(Path.Combine(binDir, "navarch"), ["proxy", "--cleanup", "--chain-prefix", chainPrefix], allowFailure: true);
            }

            await TestProcesses.UnmountUnderAsync(root);
            if (Directory.Exists($"/sys/class/net/{bridge}"))
            {
                await TestProcesses.RunAsync("ip", ["link", "delete", bridge], allowFailure: true);
            }

            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void ExecStart_joins_continuation_lines_and_splits_words()
    {
        Assert.Equal(["/usr/local/bin/navarch", "server", "--config", "/etc/navarch/config.yaml", "--x"], ExecStart("[Service]\nExecStartPre=-/sbin/modprobe overlay\nExecStart=/usr/local/bin/navarch \\\n    server \\\n    --config /etc/navarch/config.yaml \\\n    --x\n"));
    }

    /// <summary>The words of the unit's ExecStart (continuation lines joined; the unit quotes nothing).</summary>
    private static string[] ExecStart(string unit)
    {
        string joined = Continuation().Replace(unit, " ");
        string line = joined.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        return line["ExecStart=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [GeneratedRegex(@"\\\n")]
    private static partial Regex Continuation();

    private static async Task<string> RunAsync(string[] command, Dictionary<string, string>? environment = null)
    {
        (int code, string text) = await TryRunAsync(command, environment);
        Assert.True(code == 0, $"{string.Join(' ', command)} exited with {code}:\n{text}");
        return text;
    }

    /// <summary>Runs a command to its end: its exit code and its stdout and stderr together.</summary>
    private static async Task<(int Code, string Output)> TryRunAsync(string[] command, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true }.Isolated();
        foreach (string arg in command[1..])
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string key, string value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout + await stderr);
    }
}
