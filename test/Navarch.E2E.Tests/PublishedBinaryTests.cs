using System.Diagnostics;
using Navarch.Testing;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests;

/// <summary>
/// The single self-contained executable of scripts/publish.sh runs where there is no .NET: with no <c>dotnet</c> on
/// its PATH and no DOTNET_ROOT, it prints its version and serves a cluster (on a fresh data dir) that kubectl reads,
/// down to the field descriptions of <c>kubectl explain</c> (embedded, since nothing lies beside the executable).
/// </summary>
[Trait("Category", "Node")]
[Collection(PublishedBinaryCollection.Name)]
public sealed class PublishedBinaryTests(PublishedBinary binary, ITestOutputHelper output)
{
    [Fact]
    public async Task Published_executable_runs_version_and_a_server_without_dotnet()
    {
        output.WriteLine($"scripts/publish.sh took {binary.PublishTime.TotalSeconds:F0} s");
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-single-file-");
        Process? server = null;
        try
        {
            // Alone in a directory of its own, away from the build output; its PATH an empty directory.
            string executable = Path.Combine(dir.FullName, "navarch");
            File.Copy(binary.Path, executable);
            string emptyPath = Directory.CreateDirectory(Path.Combine(dir.FullName, "bin")).FullName;

            (int code, string stdout, string stderr) = await RunAsync(executable, ["version"], emptyPath);
            Assert.True(code == 0, stderr);
            Assert.StartsWith("navarch version ", stdout, StringComparison.Ordinal);
            Assert.Contains("linux/", stdout, StringComparison.Ordinal);

            string dataDir = Path.Combine(dir.FullName, "data");
            string kubeconfig = Path.Combine(dir.FullName, "kubeconfig.yaml");
            string log = Path.Combine(dir.FullName, "server.log");
            server = await PortRetry.StartAsync(
                async () =>
                {
                    Process process = StartBare(executable, ["server", "--disable-agent", "--data-dir", dataDir, "--bind-address", "127.0.0.1", "--https-listen-port", FreePort.Next().ToString(), "--write-kubeconfig", kubeconfig], emptyPath, log);
                    try
                    {
                        await Eventually(
                            async () =>
                            {
                                Assert.False(process.HasExited, "the published navarch server exited:\n" + TestProcesses.LogTails(dir.FullName));
                                return File.Exists(kubeconfig) && (await Kubectl.RunAsync(kubeconfig, "get", "--raw", "/readyz")).ExitCode == 0;
                            },
                            "the published navarch server is ready",
                            TimeSpan.FromSeconds(90),
                            TimeSpan.FromMilliseconds(300));
                        return process;
                    }
                    catch
                    {
                        await TestProcesses.StopAsync(process);
                        throw;
                    }
                },
                e => PortRetry.SaysAddressInUse(e.Message));

            Kubectl.Result namespaces = await Kubectl.RunAsync(kubeconfig, "get", "namespaces", "-o", "name");
            Assert.True(namespaces.ExitCode == 0, namespaces.Output);
            Assert.Contains("namespace/kube-system", namespaces.Stdout, StringComparison.Ordinal);
            Kubectl.Result explain = await Kubectl.RunAsync(kubeconfig, "explain", "pod.spec.nodeName");
            Assert.True(explain.ExitCode == 0, explain.Output);
            Assert.Contains("NodeName indicates in which node this pod is scheduled", explain.Stdout.ReplaceLineEndings(" ").Replace("    ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally
        {
            if (server is not null)
            {
                await TestProcesses.StopAsync(server);
            }

            dir.Delete(recursive: true);
        }
    }

    /// <summary>The environment of a machine without .NET: only PATH (a directory with no dotnet) and HOME.</summary>
    private static ProcessStartInfo Bare(string executable, string[] args, string path)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment.Clear();
        start.Environment["PATH"] = path;
        start.Environment["HOME"] = Path.GetDirectoryName(path)!;
        start.Environment["NAVARCH_CONFIG_FILE"] = "/dev/null";
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string executable, string[] args, string path)
    {
        using Process process = Process.Start(Bare(executable, args, path))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout, await stderr);
    }

    private static Process StartBare(string executable, string[] args, string path, string logPath)
    {
        Process process = Process.Start(Bare(executable, args, path))!;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
