using System.Diagnostics;

namespace Navarch.Testing;

/// <summary>
/// The official clients' scenario scripts in test/compat (Debian's python3-kubernetes, npm's @kubernetes/client-node):
/// installs what they need once (test/compat/install.sh, idempotent) and runs one against a cluster's kubeconfig.
/// </summary>
public static class OfficialClientScenarios
{
    private static readonly Lazy<Task> Installed = new(InstallAsync);

    /// <summary>test/compat in the repository.</summary>
    public static string Directory { get; } = Path.Combine(RepoRoot(), "test", "compat");

    /// <summary>Runs test/compat/install.sh once per test process; fails with its output when it fails.</summary>
    public static Task EnsureInstalledAsync() => Installed.Value;

    /// <summary>
    /// Runs <paramref name="script"/> of <paramref name="client"/> ("python" or "javascript") with $KUBECONFIG set to
    /// <paramref name="kubeconfig"/>; its exit code and its stdout and stderr together.
    /// </summary>
    public static Task<(int Code, string Output)> RunAsync(string client, string script, string kubeconfig, TimeSpan? timeout = null)
    {
        // Debian's python3 (the one python3-kubernetes installs for), not a python3 earlier on PATH.
        string program = client == "python" ? "/usr/bin/python3" : "node";
        return RunProcessAsync(program, [script], Path.Combine(Directory, client), timeout ?? TimeSpan.FromMinutes(2), ("KUBECONFIG", kubeconfig));
    }

    private static async Task InstallAsync()
    {
        (int code, string output) = await RunProcessAsync("bash", [Path.Combine(Directory, "install.sh")], Directory, TimeSpan.FromMinutes(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"test/compat/install.sh failed ({code}):\n{output}");
        }
    }

    private static async Task<(int Code, string Output)> RunProcessAsync(string program, string[] args, string directory, TimeSpan timeout, params (string Name, string Value)[] environment)
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
