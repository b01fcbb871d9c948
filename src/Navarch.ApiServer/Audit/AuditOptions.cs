namespace Navarch.ApiServer.Audit;

/// <summary>kube-apiserver's audit flags; with no policy file or no log path nothing is audited.</summary>
public sealed class AuditOptions
{
    /// <summary><c>--audit-policy-file</c>: an audit.k8s.io/v1 Policy (YAML or JSON).</summary>
    public string? PolicyFile { get; init; }

    /// <summary><c>--audit-log-path</c>: the JSON-lines log file; <c>-</c> is standard output.</summary>
    public string? LogPath { get; init; }

    /// <summary><c>--audit-log-maxage</c>: days to keep rotated files, by the time in their names (0 keeps them).</summary>
    public int MaxAge { get; init; }

    /// <summary><c>--audit-log-maxbackup</c>: rotated files to keep (0 keeps all, subject to the age).</summary>
    public int MaxBackup { get; init; }

    /// <summary><c>--audit-log-maxsize</c>: megabytes a file may reach before it is rotated (0 is lumberjack's 100).</summary>
    public int MaxSize { get; init; }

    /// <summary>The flag errors, worded as kube-apiserver's.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxAge < 0)
        {
            yield return $"--audit-log-maxage {MaxAge} can't be a negative number";
        }

        if (MaxBackup < 0)
        {
            yield return $"--audit-log-maxbackup {MaxBackup} can't be a negative number";
        }

        if (MaxSize < 0)
        {
            yield return $"--audit-log-maxsize {MaxSize} can't be a negative number";
        }
    }
}
