using System.Diagnostics;
using System.Text;

namespace Navarch.E2E.Tests;

/// <summary>Runs the built navarch binary: to completion (<see cref="RunAsync"/>) or in the background (<see cref="Start"/>).</summary>
public sealed class NavarchCli : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private NavarchCli(Process process) => _process = process;

    /// <summary>Standard output so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Standard error so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>Runs navarch with <paramref name="args"/> and waits for it (killed after <paramref name="timeout"/>).</summary>
    public static async Task<Kubectl.Result> RunAsync(string[] args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        await using NavarchCli cli = Start(args, environment);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await cli._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            cli._process.Kill(entireProcessTree: true);
            await cli._process.WaitForExitAsync();
        }

        cli._process.WaitForExit();
        return new Kubectl.Result(cli._process.ExitCode, cli.Stdout, cli.Stderr);
    }

    /// <summary>
    /// Starts navarch in the background, isolated from this machine's navarch settings (<see cref="TestProcesses.Isolated"/>);
    /// <paramref name="environment"/> is applied on top, a null value removing the variable.
    /// </summary>
    public static NavarchCli Start(string[] args, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }.Isolated();
        start.ArgumentList.Add(NavarchServer.FindBinary());
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string key, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        var cli = new NavarchCli(Process.Start(start)!);
        cli._process.OutputDataReceived += (_, e) => Append(cli._stdout, e.Data);
        cli._process.ErrorDataReceived += (_, e) => Append(cli._stderr, e.Data);
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Asks the process to stop with SIGTERM (to it alone, not its group) and waits; kills it after 30 s.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])!)
            {
                await kill.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder sink, string? line)
    {
        if (line is not null)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }
        }
    }
}
