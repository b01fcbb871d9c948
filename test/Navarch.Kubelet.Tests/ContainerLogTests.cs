using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Navarch.Kubelet.Server;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The kubelet's reading of CRI log files (what containerd writes: partial fragments, both streams, an unparsable
/// line) with the PodLogOptions kubectl sends: tail, since, timestamps, limitBytes, follow.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ContainerLogTests : IDisposable
{
    private const string Log = """
        2026-01-01T00:00:01.000000001Z stdout F one
        2026-01-01T00:00:02.5Z stderr P par
        2026-01-01T00:00:02.6Z stdout F two
        2026-01-01T00:00:02.7Z stderr F tial
        2026-01-01T00:00:03Z stdout F three
        not a cri log line
        2026-01-01T00:00:04.123456789Z stdout F 
        2026-01-01T00:00:05Z stdout F five

        """;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-logs-");

    public void Dispose() => _dir.Delete(recursive: true);

    public static TheoryData<string, string> Cases => new()
    {
        { "", "one\ntwo\npartial\nthree\n\nfive\n" },
        { "tailLines=2", "\nfive\n" },
        { "tailLines=0", "" },
        { "tailLines=100", "one\ntwo\npartial\nthree\n\nfive\n" },
        { "sinceTime=2026-01-01T00:00:02.6Z", "two\nthree\n\nfive\n" },
        { "tailLines=3&sinceTime=2026-01-01T00:00:03.5Z", "\nfive\n" },
        { "timestamps=true&tailLines=2", "2026-01-01T00:00:04.123456789Z \n2026-01-01T00:00:05.000000000Z five\n" },
        { "timestamps=true&limitBytes=40", "2026-01-01T00:00:01.000000001Z one\n2026-" },
        { "limitBytes=6", "one\ntw" },
        { "limitBytes=4", "one\n" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Reads_logical_lines_with_the_requested_options(string query, string expected)
    {
        string path = Path.Combine(_dir.FullName, "0.log");
        await File.WriteAllTextAsync(path, Log.Replace("\r\n", "\n", StringComparison.Ordinal));
        var output = new MemoryStream();
        var copier = new ContainerLogCopier(Options(query), TimeProvider.System);
        await copier.CopyAsync(path, output, _ => Task.FromResult(false), CancellationToken.None);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Since_seconds_counts_back_from_now_and_bad_values_are_refused()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 5, TimeSpan.Zero);
        Assert.Equal(now.AddSeconds(-2), ContainerLogOptions.Parse(Query("sinceSeconds=2"), now).Since);
        Assert.True(ContainerLogOptions.Parse(Query("previous=true&follow=true"), now) is { Previous: true, Follow: true, Timestamps: false });
        foreach (string bad in new[] { "tailLines=-1", "limitBytes=0", "sinceSeconds=0", "sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z", "tailLines=x", "sinceTime=yesterday" })
        {
            Assert.Throws<FormatException>(() => ContainerLogOptions.Parse(Query(bad), now));
        }

        string path = Path.Combine(_dir.FullName, "0.log");
        await File.WriteAllTextAsync(path, Log);
        var output = new MemoryStream();
        await new ContainerLogCopier(ContainerLogOptions.Parse(Query("sinceSeconds=2"), now), TimeProvider.System).CopyAsync(path, output, _ => Task.FromResult(false), CancellationToken.None);
        Assert.Equal("three\n\nfive\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Follow_streams_appended_lines_joins_fragments_across_reads_and_ends_when_the_container_stops()
    {
        string path = Path.Combine(_dir.FullName, "1.log");
        await File.WriteAllTextAsync(path, "2026-01-01T00:00:01Z stdout F first\n2026-01-01T00:00:02Z stdout P half-");
        var time = new FakeTimeProvider();
        var output = new SignallingStream();
        bool running = true;
        var copier = new ContainerLogCopier(Options("follow=true"), time) { PollInterval = TimeSpan.FromSeconds(1) };
        Task copy = copier.CopyAsync(path, output, _ => Task.FromResult(running), CancellationToken.None);

        Assert.Equal("first\n", await output.NextAsync());

        // The rest of the partial fragment's file line, then its full end, then a new line — all while following.
        await File.AppendAllTextAsync(path, "line\n2026-01-01T00:00:03Z stdout F done\n2026-01-01T00:00:04Z stderr F next\n");
        Assert.Equal("first\nhalf-linedone\nnext\n", await output.NextAsync(time));

        await File.AppendAllTextAsync(path, "2026-01-01T00:00:05Z stdout F last words\n");
        running = false;
        await Eventually(
            () =>
            {
                if (copy.IsCompleted)
                {
                    return true;
                }

                time.Advance(TimeSpan.FromSeconds(1));
                return false;
            },
            "the follow ends once the container has stopped",
            interval: TimeSpan.FromMilliseconds(25));
        await copy;
        Assert.Equal("first\nhalf-linedone\nnext\nlast words\n", output.Text);
    }

    [Theory]
    [InlineData("2026-01-01T00:00:01Z", "2026-01-01T00:00:01.000000000Z")]
    [InlineData("2026-01-01T00:00:01.5Z", "2026-01-01T00:00:01.500000000Z")]
    [InlineData("2026-01-01T00:00:01.123456789+02:00", "2026-01-01T00:00:01.123456789+02:00")]
    public void Timestamps_are_written_with_nine_fractional_digits(string input, string output)
    {
        Assert.True(CriLogParser.TryParseTime(input, out DateTimeOffset time, out string text));
        Assert.Equal(output, text);
        Assert.Equal(DateTimeOffset.Parse(output[..27] + output[29..], System.Globalization.CultureInfo.InvariantCulture), time);
        Assert.False(CriLogParser.TryParseTime("yesterday", out _, out _));
    }

    private static ContainerLogOptions Options(string query) => ContainerLogOptions.Parse(Query(query), DateTimeOffset.UtcNow);

    private static QueryCollection Query(string query) =>
        new(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query).ToDictionary(p => p.Key, p => (StringValues)p.Value));

    /// <summary>Records what is written and lets the test await each flush.</summary>
    private sealed class SignallingStream : MemoryStream
    {
        private readonly SemaphoreSlim _flushed = new(0);

        public string Text => Encoding.UTF8.GetString(ToArray());

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            _flushed.Release();
            return Task.CompletedTask;
        }

        public async Task<string> NextAsync(FakeTimeProvider? time = null)
        {
            // With a fake clock, the copier's poll delay is advanced until it writes.
            for (int i = 0; i < 400; i++)
            {
                time?.Advance(TimeSpan.FromSeconds(1));
                if (await _flushed.WaitAsync(time is null ? TimeSpan.FromSeconds(10) : TimeSpan.FromMilliseconds(25)))
                {
                    return Text;
                }
            }

            throw new TimeoutException("nothing was written");
        }
    }
}
