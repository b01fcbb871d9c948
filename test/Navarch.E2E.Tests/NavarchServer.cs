using System.Diagnostics;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// `navarch server --disable-agent` started as a child process from the built binary (isolated from this machine's
/// navarch settings), on a free port in a temp data dir, with the kubeconfig it writes; killed by PID and removed on dispose.
/// </summary>
public class NavarchServer : IAsyncLifetime, IKubectlServer
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-e2e-");
    private readonly string[] _flags;
    private Process? _process;

    public NavarchServer()
        : this([])
    {
    }

    /// <summary>A server started with more <paramref name="flags"/> (for a test that starts its own).</summary>
    internal NavarchServer(params string[] flags) => _flags = flags;

    public string Kubeconfig => Path.Combine(_dir.FullName, "kubeconfig.yaml");

    public string DataDir => _dir.FullName;

    public async Task InitializeAsync()
    {
        PrepareDataDir(DataDir);
        _process = await PortRetry.StartAsync(StartOnceAsync, e => PortRetry.SaysAddressInUse(e.Message));
    }

    /// <summary>Leaves files in the data dir before the server first starts (nothing by default).</summary>
    protected virtual void PrepareDataDir(string dataDir)
    {
    }

    /// <summary>Starts the server on a port picked now and waits until it is ready; a failed start says why and is cleaned up.</summary>
    private async Task<Process> StartOnceAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }.Isolated();
        string[] args = [FindBinary(), "server", "--disable-agent", "--data-dir", DataDir, "--https-listen-port", FreePort.Next().ToString(), "--bind-address", "127.0.0.1", "--write-kubeconfig", Kubeconfig, .. _flags];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start)!;
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually(
                async () =>
                {
                    if (process.HasExited)
                    {
                        // Its whole output read first: it says why.
                        await process.WaitForExitAsync();
                        lock (errors)
                        {
                            Assert.Fail($"navarch server exited with {process.ExitCode}: {errors}");
                        }
                    }

                    return File.Exists(Kubeconfig) && (await Kubectl.RunAsync(Kubeconfig, "get", "--raw", "/readyz")).ExitCode == 0;
                },
                "navarch server is ready",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(200));
            return process;
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
            throw;
        }
    }

    public Task<Kubectl.Result> KubectlAsync(params string[] args) => Kubectl.RunAsync(Kubeconfig, args);

    public Task<Kubectl.Result> KubectlWithInputAsync(string input, params string[] args) => Kubectl.RunAsync(Kubeconfig, args, input);

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _dir.Delete(recursive: true);
    }

    internal static string FindBinary()
    {
        // test/Navarch.E2E.Tests/bin/<Configuration>/net10.0 → src/Navarch/bin/<Configuration>/net10.0/navarch.dll
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = here.Parent!.Name;
        string repo = here.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        string path = Path.Combine(repo, "src", "Navarch", "bin", configuration, "net10.0", "navarch.dll");
        Assert.True(File.Exists(path), $"navarch is not built at {path}");
        return path;
    }
}
