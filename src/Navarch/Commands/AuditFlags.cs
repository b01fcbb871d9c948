using System.CommandLine;
using Navarch.ApiServer.Audit;

namespace Navarch.Commands;

/// <summary>kube-apiserver's audit flags on <c>navarch server</c> and <c>navarch apiserver</c>; negative sizes are refused at parse time.</summary>
internal sealed class AuditFlags
{
    private readonly Option<string?> _policyFile = new("--audit-policy-file") { Description = "An audit.k8s.io/v1 Policy: which requests are audited, at which level (None, Metadata, Request, RequestResponse) and stages" };
    private readonly Option<string?> _logPath = new("--audit-log-path") { Description = "If set, audited requests are logged to this file as JSON lines of audit.k8s.io/v1 Events; '-' means standard out" };
    private readonly Option<int> _maxAge = Count("--audit-log-maxage", "The maximum number of days to retain old audit log files based on the timestamp encoded in their filename");
    private readonly Option<int> _maxBackup = Count("--audit-log-maxbackup", "The maximum number of old audit log files to retain (0: no limit)");
    private readonly Option<int> _maxSize = Count("--audit-log-maxsize", "The maximum size in megabytes of the audit log file before it gets rotated (0: 100)");

    public void AddTo(Command command)
    {
        command.Options.Add(_policyFile);
        command.Options.Add(_logPath);
        command.Options.Add(_maxAge);
        command.Options.Add(_maxBackup);
        command.Options.Add(_maxSize);
    }

    public AuditOptions Options(ParseResult parse) => new()
    {
        PolicyFile = parse.GetValue(_policyFile),
        LogPath = parse.GetValue(_logPath),
        MaxAge = parse.GetValue(_maxAge),
        MaxBackup = parse.GetValue(_maxBackup),
        MaxSize = parse.GetValue(_maxSize),
    };

    private static Option<int> Count(string name, string description)
    {
        var option = new Option<int>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var value and < 0)
            {
                result.AddError($"{name} {value} can't be a negative number");
            }
        });
        return option;
    }
}
