using Cronos;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.Snapshots;
using Navarch.Storage;
using Navarch.Storage.Sqlite;
using static Navarch.Testing.Polling;

namespace Navarch.Cli.Tests;

/// <summary>The server's scheduled snapshots, driven by a fake clock: taken at the cron's occurrences, pruned to the retention.</summary>
[Trait("Category", "Integration")]
public sealed class SnapshotSchedulerTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("navarch-snapsched-");

    [Fact]
    public async Task Snapshots_are_taken_at_every_occurrence_and_only_the_newest_scheduled_ones_kept()
    {
        // Local midnight, so the every-12-hours schedule's occurrences are 12 h apart whatever the machine's time zone.
        var midnight = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var time = new FakeTimeProvider(new DateTimeOffset(midnight, TimeZoneInfo.Local.GetUtcOffset(midnight)));
        await using SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dataDir.FullName, "server", "db", "state.db") });
        await store.CreateAsync("/registry/configmaps/default/a", "a"u8.ToArray());
        var source = new RecordingSource(store);
        var dir = new SnapshotDirectory(SnapshotDirectory.DefaultPath(_dataDir.FullName));
        Directory.CreateDirectory(dir.Path);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "on-demand-n1-1000000000"), "kept: not a scheduled one");

        await using var scheduler = new SnapshotScheduler(source, dir, "n1", CronExpression.Parse(SnapshotOptions.DefaultSchedule), 3, time, NullLogger.Instance);
        scheduler.Start();

        // An hour at a time, so the scheduler has always set its next timer before the clock passes it. Nothing before 12:00.
        for (int hour = 1; hour < 12; hour++)
        {
            time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(20);
        }

        Assert.Empty(source.Saved);
        await Eventually(() =>
        {
            time.Advance(TimeSpan.FromHours(1));
            return source.Saved.Count >= 5;
        }, "five scheduled snapshots", timeout: TimeSpan.FromSeconds(30), detail: () => string.Join(", ", source.Saved));

        await scheduler.DisposeAsync();
        List<string> names = [.. source.Saved.Select(p => Path.GetFileName(p))];
        Assert.All(names, n => Assert.StartsWith("etcd-snapshot-n1-", n, StringComparison.Ordinal));
        long[] unix = [.. names.Select(n => long.Parse(n[(n.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.All(unix.Zip(unix.Skip(1)), pair => Assert.InRange(pair.Second - pair.First, 10 * 3600, 14 * 3600));
        Assert.Equal(names.TakeLast(3).Order(StringComparer.Ordinal), Scheduled());
        Assert.True(File.Exists(Path.Combine(dir.Path, "on-demand-n1-1000000000")));
    }

    [Fact]
    public async Task Disabled_or_a_store_without_snapshots_runs_nothing()
    {
        await using SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dataDir.FullName, "state.db") });
        Assert.Null(SnapshotScheduler.StartFor(store, new SnapshotOptions { Disabled = true }, _dataDir.FullName, TimeProvider.System, NullLogger.Instance));
    }

    private List<string> Scheduled()
    {
        string dir = SnapshotDirectory.DefaultPath(_dataDir.FullName);
        return !Directory.Exists(dir) ? [] : [.. Directory.GetFiles(dir).Select(p => Path.GetFileName(p)).Where(n => n.StartsWith("etcd-snapshot-", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    public void Dispose() => _dataDir.Delete(recursive: true);

    /// <summary>The store's snapshots, with the paths it was asked for.</summary>
    private sealed class RecordingSource(ISnapshotSource store) : ISnapshotSource
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Saved { get; } = new();

        public async Task SaveSnapshotAsync(string path, CancellationToken cancellationToken = default)
        {
            await store.SaveSnapshotAsync(path, cancellationToken);
            Saved.Enqueue(path);
        }
    }
}
