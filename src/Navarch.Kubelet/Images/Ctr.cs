using System.Diagnostics;

namespace Navarch.Kubelet.Images;

/// <summary>
/// containerd's own client, <c>ctr</c>, in the <c>k8s.io</c> namespace (the one the CRI plugin serves images from),
/// for what the CRI has no call for: importing an image tarball, naming an image again, dropping a name.
/// </summary>
internal static class Ctr
{
    /// <summary>Runs <c>ctr --address SOCKET --namespace k8s.io ARGS</c>; returns its output.</summary>
    /// <exception cref="InvalidOperationException">ctr failed; the message holds what it said.</exception>
    public static async Task<string> RunAsync(string socket, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ctr")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] all = ["--address", socket, "--namespace", "k8s.io", .. args];
        foreach (string arg in all)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException("cannot run ctr");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ctr {string.Join(' ', args)} failed ({process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()} {output.Trim()}");
        }

        return output;
    }
}
