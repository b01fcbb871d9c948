using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>Runs the real kubectl with a kubeconfig.</summary>
public static class Kubectl
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    public static async Task<Result> RunAsync(string kubeconfig, string[] args, string? input = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        start.Environment["KUBECONFIG"] = kubeconfig;
        foreach ((string k, string v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout(args));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public static Task<Result> RunAsync(string kubeconfig, params string[] args) => RunAsync(kubeconfig, args, null);

    /// <summary>
    /// A minute, or, for a command given its own <c>--timeout=</c> (<c>kubectl wait</c>, <c>delete</c>), that plus 15 s: a
    /// kubectl killed before its own deadline says nothing of what it waited for (exit 137 instead of its message).
    /// </summary>
    private static TimeSpan DefaultTimeout(string[] args)
    {
        string? given = args.LastOrDefault(a => a.StartsWith("--timeout=", StringComparison.Ordinal))?["--timeout=".Length..];
        TimeSpan own = given switch
        {
            [.. var n, 's'] when int.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out int s) => TimeSpan.FromSeconds(s),
            [.. var n, 'm'] when int.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out int m) => TimeSpan.FromMinutes(m),
            _ => TimeSpan.Zero,
        };
        return TimeSpan.FromSeconds(60) > own + TimeSpan.FromSeconds(15) ? TimeSpan.FromSeconds(60) : own + TimeSpan.FromSeconds(15);
    }
}
