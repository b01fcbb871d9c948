using System.CommandLine;
using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary><c>navarch server</c>'s snapshot flags: checked at parse time, k3s's defaults.</summary>
[Trait("Category", "Unit")]
public sealed class SnapshotFlagsTests
{
    private static (ParseResult Parse, SnapshotFlags Flags) Parse(params string[] args)
    {
        var flags = new SnapshotFlags();
        var command = new RootCommand();
        flags.AddTo(command);
        return (command.Parse(args), flags);
    }

    [Fact]
    public void Defaults_are_k3s_s()
    {
        var (parse, flags) = Parse();
        Assert.Empty(parse.Errors);
        var options = flags.Options(parse);
        Assert.Equal("0 */12 * * *", Snapshots.SnapshotOptions.DefaultSchedule);
        Assert.Equal(new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc), options.Schedule.GetNextOccurrence(new DateTime(2026, 1, 1, 0, 30, 0, DateTimeKind.Utc)));
        Assert.Equal((5, false, null, false, null), (options.Retention, options.Disabled, options.Dir, options.ClusterReset, options.ClusterResetRestorePath));
    }

    [Theory]
    [InlineData("--snapshot-schedule-cron", "every day", "--snapshot-schedule-cron: ")]
    [InlineData("--snapshot-schedule-cron", "61 * * * *", "--snapshot-schedule-cron: ")]
    [InlineData("--snapshot-retention", "0", "--snapshot-retention 0 must be at least 1")]
    [InlineData("--cluster-reset-restore-path", "/tmp/s", "--cluster-reset-restore-path needs --cluster-reset")]
    public void Bad_values_stop_the_command(string flag, string value, string message)
    {
        var (parse, _) = Parse(flag, value);
        Assert.Contains(parse.Errors, e => e.Message.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_reset_with_a_restore_path_parses()
    {
        var (parse, flags) = Parse("--cluster-reset", "--cluster-reset-restore-path", "/tmp/s", "--snapshot-dir", "/backup", "--snapshot-disable");
        Assert.Empty(parse.Errors);
        var options = flags.Options(parse);
        Assert.Equal((true, "/tmp/s", "/backup", true), (options.ClusterReset, options.ClusterResetRestorePath, options.Dir, options.Disabled));
    }
}
