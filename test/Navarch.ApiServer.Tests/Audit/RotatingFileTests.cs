using Microsoft.Extensions.Time.Testing;
using Navarch.ApiServer.Audit;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>The audit log's lumberjack rotation on a fake clock: by size, keeping maxbackup files and none older than maxage.</summary>
[Trait("Category", "Unit")]
public sealed class RotatingFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-audit-rotate-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 23, 1, 2, 123, TimeSpan.Zero));

    public void Dispose() => _dir.Delete(recursive: true);

    private string LogPath => Path.Combine(_dir.FullName, "logs", "audit.log");

    private string[] Backups() => Directory.GetFiles(Path.GetDirectoryName(LogPath)!, "audit-*.log").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static byte[] Line(char c, int length) => [.. Enumerable.Repeat((byte)c, length - 1), (byte)'\n'];

    [Fact]
    public void A_write_that_would_not_fit_rotates_first_into_a_file_named_by_the_time()
    {
        using (var file = new RotatingFile(LogPath, 100, 0, 0, _time))
        {
            file.Write(Line('a', 60));
            file.Write(Line('b', 40));
            file.Flush();
            Assert.Empty(Backups());
            file.Write(Line('c', 10));
            file.Flush();
        }

        Assert.Equal(["audit-2026-12-06T23-01-02.123.log"], Backups());
        Assert.Equal(100, new FileInfo(Path.Combine(Path.GetDirectoryName(LogPath)!, Backups()[0])).Length);
        Assert.Equal(10, new FileInfo(LogPath).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LogPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(LogPath)!));
        using var tooBig = new RotatingFile(LogPath, 100, 0, 0, _time);
        Assert.Equal("write length 101 exceeds maximum file size 100", Assert.Throws<IOException>(() => tooBig.Write(Line('x', 101))).Message);
    }

    [Fact]
    public void An_existing_file_is_appended_to_unless_the_first_write_would_fill_it()
    {
        using (var file = new RotatingFile(LogPath, 100, 0, 0, _time))
        {
            file.Write(Line('a', 50));
        }

        using (var file = new RotatingFile(LogPath, 100, 0, 0, _time))
        {
            file.Write(Line('b', 30));
        }

        Assert.Equal(80, new FileInfo(LogPath).Length);
        Assert.Empty(Backups());
        using (var file = new RotatingFile(LogPath, 100, 0, 0, _time))
        {
            // 80 + 20 reaches the limit: lumberjack rotates on opening when the file would be full.
            file.Write(Line('c', 20));
        }

        Assert.Single(Backups());
        Assert.Equal(20, new FileInfo(LogPath).Length);
    }

    [Fact]
    public void Maxbackup_keeps_the_newest_backups_by_the_time_in_their_names()
    {
        using var file = new RotatingFile(LogPath, 10, 2, 0, _time);
        for (int i = 0; i < 5; i++)
        {
            file.Write(Line((char)('a' + i), 10));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Four rotations (at :03, :04, :05 and :06); the two newest stay.
        Assert.Equal(["audit-2026-12-06T23-01-05.123.log", "audit-2026-12-06T23-01-06.123.log"], Backups());
        Assert.Equal(new string('d', 9), File.ReadAllText(Path.Combine(Path.GetDirectoryName(LogPath)!, Backups()[^1])).Trim());
    }

    [Fact]
    public void Maxage_removes_backups_older_than_that_many_days_at_the_next_rotation()
    {
        using var file = new RotatingFile(LogPath, 10, 0, 2, _time);
        file.Write(Line('a', 10));
        file.Write(Line('b', 10)); // a is rotated out at day 0
        _time.Advance(TimeSpan.FromDays(1));
        file.Write(Line('c', 10)); // b at day 1
        Assert.Equal(2, Backups().Length);
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        file.Write(Line('d', 10)); // c at day 2: a is now older than two days
        Assert.Equal(["audit-2026-12-07T23-01-02.123.log", "audit-2026-12-08T23-02-02.123.log"], Backups());
        // Files that only look like backups are left alone.
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(LogPath)!, "audit-notes.log"), "keep");
        _time.Advance(TimeSpan.FromDays(10));
        file.Write(Line('e', 10));
        Assert.Equal(["audit-2026-12-18T23-02-02.123.log", "audit-notes.log"], Backups());
    }
}
