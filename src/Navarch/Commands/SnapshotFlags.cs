using System.CommandLine;
using Cronos;
using Navarch.Snapshots;

namespace Navarch.Commands;

/// <summary><c>navarch server</c>'s snapshot and restore flags (k3s's <c>--etcd-snapshot-*</c> and <c>--cluster-reset*</c>), checked at parse time.</summary>
internal sealed class SnapshotFlags
{
    private readonly Option<string> _schedule = new("--snapshot-schedule-cron") { Description = "When to take scheduled snapshots of the datastore, as a cron expression (minute hour day month weekday)", DefaultValueFactory = _ => SnapshotOptions.DefaultSchedule };
    private readonly Option<int> _retention = new("--snapshot-retention") { Description = "How many scheduled snapshots to keep", DefaultValueFactory = _ => 5 };
    private readonly Option<bool> _disable = new("--snapshot-disable") { Description = "Take no scheduled snapshots" };
    private readonly Option<string?> _dir = new("--snapshot-dir", "--etcd-snapshot-dir") { Description = "Folder of the snapshots (default: <data-dir>/server/db/snapshots)" };
    private readonly Option<bool> _clusterReset = new("--cluster-reset") { Description = "Reset the datastore; with --cluster-reset-restore-path, restore it from a snapshot first" };
    private readonly Option<string?> _restorePath = new("--cluster-reset-restore-path") { Description = "The snapshot to restore the datastore from (with --cluster-reset)" };

    public SnapshotFlags()
    {
        _schedule.Validators.Add(result =>
        {
            try
            {
                CronExpression.Parse(result.GetValueOrDefault<string>() ?? "", CronFormat.Standard);
            }
            catch (CronFormatException e)
            {
                result.AddError($"--snapshot-schedule-cron: {e.Message}");
            }
        });
        _retention.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var value and < 1)
            {
                result.AddError($"--snapshot-retention {value} must be at least 1");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_schedule);
        command.Options.Add(_retention);
        command.Options.Add(_disable);
        command.Options.Add(_dir);
        command.Options.Add(_clusterReset);
        command.Options.Add(_restorePath);
        command.Validators.Add(result =>
        {
            if (result.GetValue(_restorePath) is { Length: > 0 } && !result.GetValue(_clusterReset))
            {
                result.AddError("--cluster-reset-restore-path needs --cluster-reset");
            }
        });
    }

    public SnapshotOptions Options(ParseResult parse) => new()
    {
        Schedule = CronExpression.Parse(parse.GetValue(_schedule)!, CronFormat.Standard),
        Retention = parse.GetValue(_retention),
        Disabled = parse.GetValue(_disable),
        Dir = parse.GetValue(_dir) is { Length: > 0 } dir ? dir : null,
        ClusterReset = parse.GetValue(_clusterReset),
        ClusterResetRestorePath = parse.GetValue(_restorePath) is { Length: > 0 } path ? path : null,
    };
}
