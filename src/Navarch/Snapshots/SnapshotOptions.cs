using Cronos;

namespace Navarch.Snapshots;

/// <summary>The server's snapshot settings (k3s's <c>--etcd-snapshot-*</c> and <c>--cluster-reset*</c> flags).</summary>
internal sealed record SnapshotOptions
{
    /// <summary>k3s's default schedule: every 12 hours.</summary>
    public const string DefaultSchedule = "0 */12 * * *";

    /// <summary><c>--snapshot-disable</c>: no scheduled snapshots.</summary>
    public bool Disabled { get; init; }

    /// <summary><c>--snapshot-schedule-cron</c>, parsed.</summary>
    public CronExpression Schedule { get; init; } = CronExpression.Parse(DefaultSchedule);

    /// <summary><c>--snapshot-retention</c>: how many scheduled snapshots of this node are kept.</summary>
    public int Retention { get; init; } = 5;

    /// <summary><c>--snapshot-dir</c>; null for <c>&lt;data-dir&gt;/server/db/snapshots</c>.</summary>
    public string? Dir { get; init; }

    /// <summary>This node's name, part of the snapshots' names.</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    /// <summary><c>--cluster-reset</c>.</summary>
    public bool ClusterReset { get; init; }

    /// <summary><c>--cluster-reset-restore-path</c>: the snapshot the datastore is restored from.</summary>
    public string? ClusterResetRestorePath { get; init; }
}
