using System.Diagnostics;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Compat;

/// <summary>
/// A real API server for the official clients' scenario scripts (test/compat), with what they need installed once
/// by test/compat/install.sh (Debian's python3-kubernetes, the JavaScript project's npm packages).
/// </summary>
public sealed class OfficialClientFixture : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    /// <summary>test/compat in the repository.</summary>
    public string CompatDir { get; } = Path.Combine(RepoRoot(), "test", "compat");

    /// <summary>The admin kubeconfig the scripts get as $KUBECONFIG.</summary>
    public string Kubeconfig => _host.Server.AdminKubeconfigPath;

    public async Task InitializeAsync()
    {
        (int code, string output) = await RunAsync("bash", [Path.Combine(CompatDir, "install.sh")], CompatDir, TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"test/compat/install.sh failed ({code}):\n{output}");
        _host = await ApiServerHost.StartAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Runs a scenario: its exit code and its stdout and stderr together.</summary>
    public Task<(int Code, string Output)> RunScenarioAsync(string program, string script, string directory) =>
        RunAsync(program, [script], Path.Combine(CompatDir, directory), TimeSpan.FromMinutes(2), ("KUBECONFIG", Kubeconfig));

    private static async Task<(int Code, string Output)> RunAsync(string program, string[] args, string directory, TimeSpan timeout, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return (-1, $"timed out after {timeout}\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Navarch.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Navarch.slnx) is not above the test binaries");
    }
}
