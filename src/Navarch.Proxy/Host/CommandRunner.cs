using System.Diagnostics;

namespace Navarch.Proxy.Host;

/// <summary>
/// Runs the host tools the proxy drives (iptables, conntrack, sysctl, ip), inside a named network namespace when
/// one is given (<c>ip netns exec NAME …</c>), so tests and benchmarks keep their dataplane in namespaces they made.
/// </summary>
public sealed class CommandRunner(string? networkNamespace = null)
{
    /// <summary>The network namespace commands run in, or null for the host's.</summary>
    public string? NetworkNamespace => networkNamespace;

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, feeding <paramref name="stdin"/>; never throws for a non-zero exit.</summary>
    public async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(networkNamespace is null ? file : "ip")
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (networkNamespace is not null)
        {
            foreach (string a in new[] { "netns", "exec", networkNamespace, file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = new() { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(127, "", $"{file}: {e.Message}");
        }

        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return new CommandResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Whether <paramref name="file"/> is an executable on PATH.</summary>
    public static bool Exists(string file) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, file)));
}
