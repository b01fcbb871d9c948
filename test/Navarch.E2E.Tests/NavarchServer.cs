using System.Diagnostics;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// `navarch server --disable-agent` started as a child process from the built binary, on a free port in a temp data
/// dir, with the kubeconfig it writes; killed by PID and removed on dispose.
/// </summary>
public sealed class NavarchServer : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-e2e-");
    private Process? _process;

    public string Kubeconfig => Path.Combine(_dir.FullName, "kubeconfig.yaml");

    public string DataDir => _dir.FullName;

    public async Task InitializeAsync()
    {
        string binary = FindBinary();
        int port = FreePort.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { binary, "server", "--disable-agent", "--data-dir", DataDir, "--https-listen-port", port.ToString(), "--bind-address", "127.0.0.1", "--write-kubeconfig", Kubeconfig })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Kubeconfig) || (await Kubectl.RunAsync(Kubeconfig, "get", "--raw", "/readyz")).ExitCode != 0)
        {
            Assert.False(_process.HasExited, $"navarch server exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "navarch server did not become ready in 60 s");
            await Task.Delay(200);
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
