using System.CommandLine;
using System.Diagnostics;

namespace Navarch.Commands;

/// <summary>
/// <c>navarch kubectl ARGS...</c> (k3s's <c>k3s kubectl</c>): the real kubectl with KUBECONFIG defaulting to this
/// machine's admin kubeconfig: <c>$KUBECONFIG</c>, else <c>/etc/navarch/navarch.yaml</c>, else the admin kubeconfig
/// under <c>$NAVARCH_DATA_DIR</c> (default <c>/var/lib/navarch</c>). Program hands it the raw arguments, so
/// kubectl's own flags are never parsed here.
/// </summary>
internal static class KubectlCommand
{
    /// <summary>The kubeconfig a server writes for users (<c>--write-kubeconfig</c> in the config file).</summary>
    public const string DefaultKubeconfig = "/etc/navarch/navarch.yaml";

    /// <summary>The admin kubeconfig a server with the default data dir always writes (<c>$NAVARCH_DATA_DIR</c> moves it).</summary>
    public const string DataDirKubeconfig = "/var/lib/navarch/server/cred/admin.kubeconfig";

    /// <summary>The entry shown in help; running it goes through <see cref="RunAsync"/>.</summary>
    public static Command Create()
    {
        var args = new Argument<string[]>("args") { Description = "Arguments passed to kubectl untouched", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("kubectl", $"Run kubectl against this cluster (KUBECONFIG defaults to {DefaultKubeconfig}, else {DataDirKubeconfig}).") { args };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(args) ?? [], Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? ""), cancellationToken));
        return command;
    }

    /// <summary>Runs kubectl with <paramref name="args"/>; its exit code is returned.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken = default)
    {
        string? kubectl = FindKubectl(environment);
        if (kubectl is null)
        {
            await Console.Error.WriteLineAsync("navarch kubectl: kubectl not found (looked in /usr/bin and PATH)");
            return 127;
        }

        var start = new ProcessStartInfo(kubectl) { UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (FindKubeconfig(environment) is { } found)
        {
            start.Environment["KUBECONFIG"] = found;
        }

        using Process process = Process.Start(start)!;
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C reaches kubectl too (same process group); wait for it to finish on its own terms.
            await process.WaitForExitAsync(CancellationToken.None);
        }

        return process.ExitCode;
    }

    /// <summary>
    /// The kubeconfig kubectl is given when <c>$KUBECONFIG</c> is unset or empty: <paramref name="defaultKubeconfig"/>,
    /// else the admin kubeconfig under <c>$NAVARCH_DATA_DIR</c>, whichever exists first; null to leave KUBECONFIG alone.
    /// </summary>
    internal static string? FindKubeconfig(IReadOnlyDictionary<string, string> environment, string defaultKubeconfig = DefaultKubeconfig)
    {
        if (environment.TryGetValue("KUBECONFIG", out string? kubeconfig) && kubeconfig.Length > 0)
        {
            return null;
        }

        string dataDir = environment.TryGetValue("NAVARCH_DATA_DIR", out string? d) && d.Length > 0 ? d : "/var/lib/navarch";
        return new[] { defaultKubeconfig, Path.Combine(dataDir, "server", "cred", "admin.kubeconfig") }.FirstOrDefault(File.Exists);
    }

    private static string? FindKubectl(IReadOnlyDictionary<string, string> environment)
    {
        if (File.Exists("/usr/bin/kubectl"))
        {
            return "/usr/bin/kubectl";
        }

        string path = environment.TryGetValue("PATH", out string? p) ? p : "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, "kubectl")).FirstOrDefault(File.Exists);
    }
}
