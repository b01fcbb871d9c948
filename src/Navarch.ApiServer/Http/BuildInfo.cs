using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Http;

/// <summary>
/// What <c>/version</c> answers (k8s.io/apimachinery's version.Info): the Kubernetes version served, and the commit,
/// tree state and date of the build, embedded into this assembly from git by the project file.
/// </summary>
public static class BuildInfo
{
    private static readonly Dictionary<string, string> Stamped = ReadStamped();

    /// <summary>The commit built from, or <c>unknown</c> when built outside a git checkout.</summary>
    public static string GitCommit { get; } = Metadata("GitCommit");

    /// <summary><c>clean</c>, or <c>dirty</c> when tracked files had uncommitted changes.</summary>
    public static string GitTreeState { get; } = Metadata("GitTreeState");

    /// <summary>The commit's date in UTC (RFC 3339): the same tree always builds the same assembly.</summary>
    public static string BuildDate { get; } = Metadata("BuildDate");

    /// <summary>Go's GOOS/GOARCH spelling of this process's platform, e.g. <c>linux/amd64</c>.</summary>
    public static string Platform { get; } = "linux/" + RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "386",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        Architecture.LoongArch64 => "loong64",
        Architecture other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>The <c>/version</c> body.</summary>
    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = ApiServer.KubernetesVersion + "+navarch",
        ["gitCommit"] = GitCommit,
        ["gitTreeState"] = GitTreeState,
        ["buildDate"] = BuildDate,
        ["goVersion"] = "dotnet" + Environment.Version,
        ["compiler"] = "roslyn",
        ["platform"] = Platform,
    };

    private static string Metadata(string key) => Stamped.TryGetValue(key, out string? value) && value.Length > 0 ? value : "unknown";

    private static Dictionary<string, string> ReadStamped()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using Stream? stream = typeof(BuildInfo).Assembly.GetManifestResourceStream("Navarch.BuildInfo");
        if (stream is null)
        {
            return values;
        }

        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Split('=', 2) is [string key, string value])
            {
                values[key] = value.Trim();
            }
        }

        return values;
    }
}
