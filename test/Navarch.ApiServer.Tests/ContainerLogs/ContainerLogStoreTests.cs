using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.Api.Logging;
using Navarch.Api.Selectors;
using Navarch.ApiServer.ContainerLogs;

namespace Navarch.ApiServer.Tests.ContainerLogs;

/// <summary>The central log store on disk: offsets that make a resent batch a no-op (across a restart), retention by size and age, queries and follow.</summary>
[Trait("Category", "Integration")]
public sealed class ContainerLogStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-logstore-");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private string StoreDir => Path.Combine(_dir.FullName, "containerlogs");

    public void Dispose() => _dir.Delete(recursive: true);

    private Task<ContainerLogStore> OpenAsync(ContainerLogStoreOptions? options = null) =>
        ContainerLogStore.OpenAsync(StoreDir, options ?? new ContainerLogStoreOptions(), _time, NullLogger.Instance, CancellationToken.None);

    internal static V1ContainerLogBatch Batch(string pod, string container, long firstOffset, int count, string? app = null, string ns = "default", string time = "2026-12-07T10:00:00.123456789Z", int size = 20)
    {
        var file = new V1ContainerLogFile
        {
            Path = $"{ns}_{pod}_uid-{pod}/{container}/0.log",
            Namespace = ns,
            Pod = pod,
            PodUid = "uid-" + pod,
            Container = container,
            Labels = app is null ? null : new Dictionary<string, string> { ["app"] = app },
        };
        for (int i = 0; i < count; i++)
        {
            file.Lines.Add(new V1ContainerLogLine { Offset = firstOffset + ((i + 1) * 100L), Time = time, Stream = "stdout", Message = $"{pod} line {(firstOffset / 100) + i} " + new string('x', size) });
        }

        return new V1ContainerLogBatch { Files = [file] };
    }

    private static async Task<List<ContainerLogRecord>> ReadAllAsync(ContainerLogStore store, ContainerLogQuery? query = null)
    {
        var found = new List<ContainerLogRecord>();
        await foreach (ContainerLogRecord record in store.ReadAsync(query ?? ContainerLogQuery.All, follow: false, CancellationToken.None))
        {
            found.Add(record);
        }

        return found;
    }

    [Fact]
    public async Task A_batch_sent_again_is_stored_once_even_after_a_restart_and_the_files_are_private()
    {
        await using (ContainerLogStore store = await OpenAsync())
        {
            Assert.Equal((3, 0), await store.AppendAsync("n1", Batch("web", "c", 0, 3, "web"), CancellationToken.None));
            // Resent whole, and resent with one new line: only what is past the stored offset is kept.
            Assert.Equal((0, 3), await store.AppendAsync("n1", Batch("web", "c", 0, 3, "web"), CancellationToken.None));
            Assert.Equal((1, 3), await store.AppendAsync("n1", Batch("web", "c", 0, 4, "web"), CancellationToken.None));
            // The same file name on another node is another file.
            Assert.Equal((2, 0), await store.AppendAsync("n2", Batch("web", "c", 0, 2, "web"), CancellationToken.None));
        }

        await using (ContainerLogStore reopened = await OpenAsync())
        {
            Assert.Equal((1, 4), await reopened.AppendAsync("n1", Batch("web", "c", 0, 5, "web"), CancellationToken.None));
            List<ContainerLogRecord> all = await ReadAllAsync(reopened);
            Assert.Equal(7, all.Count);
            Assert.Equal(Enumerable.Range(0, 5).Select(i => $"web line {i} " + new string('x', 20)), all.Where(r => r.Node == "n1").Select(r => r.Message));
            Assert.All(all, r => Assert.Equal("web", r.Labels!["app"]));
            Assert.Equal("2026-12-07T10:00:00.123456789Z", LogTime.Format(all[0].Time));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StoreDir));
        Assert.All(Directory.GetFiles(StoreDir), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    [Fact]
    public async Task A_line_cut_short_by_a_crash_is_dropped_at_open_and_the_next_append_starts_clean()
    {
        await using (ContainerLogStore store = await OpenAsync())
        {
            await store.AppendAsync("n1", Batch("web", "c", 0, 2), CancellationToken.None);
        }

        string segment = Assert.Single(Directory.GetFiles(StoreDir));
        await File.AppendAllTextAsync(segment, "{\"t\":1,\"ns\":\"default\",\"pod\":\"torn");
        await using (ContainerLogStore reopened = await OpenAsync())
        {
            await reopened.AppendAsync("n1", Batch("web", "c", 200, 1), CancellationToken.None);
            Assert.Equal(["web line 0", "web line 1", "web line 2"], (await ReadAllAsync(reopened)).Select(r => r.Message[..10]));
        }
    }

    [Fact]
    public async Task The_store_stays_within_its_size_bound_by_dropping_the_oldest_lines()
    {
        var options = new ContainerLogStoreOptions { MaxBytes = 256 * 1024 };
        await using ContainerLogStore store = await OpenAsync(options);
        for (int i = 0; i < 200; i++)
        {
            await store.AppendAsync("n1", Batch("web", "c", i * 1000L, 10, size: 200), CancellationToken.None);
            Assert.True(store.Bytes <= options.MaxBytes, $"{store.Bytes} bytes after batch {i}");
        }

        List<ContainerLogRecord> kept = await ReadAllAsync(store);
        Assert.InRange(kept.Count, 500, 1000);
        // What is kept is the newest, in order, ending with the last line appended.
        Assert.StartsWith("web line 1999 ", kept[^1].Message, StringComparison.Ordinal);
        Assert.Equal(kept.Select(r => r.Offset).Order(), kept.Select(r => r.Offset));
        Assert.True(Directory.GetFiles(StoreDir).Length <= 9);
    }

    [Fact]
    public async Task Lines_older_than_the_age_bound_go()
    {
        await using ContainerLogStore store = await OpenAsync(new ContainerLogStoreOptions { MaxAge = TimeSpan.FromHours(1) });
        await store.AppendAsync("n1", Batch("old", "c", 0, 3), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(59));
        await store.EnforceRetentionAsync(CancellationToken.None);
        Assert.Equal(3, (await ReadAllAsync(store)).Count);

        _time.Advance(TimeSpan.FromMinutes(2));
        await store.EnforceRetentionAsync(CancellationToken.None);
        Assert.Empty(await ReadAllAsync(store));
        Assert.Empty(Directory.GetFiles(StoreDir));

        await store.AppendAsync("n1", Batch("new", "c", 0, 1), CancellationToken.None);
        Assert.Equal("new", Assert.Single(await ReadAllAsync(store)).Pod);
    }

    [Fact]
    public async Task Queries_select_by_namespace_labels_fields_time_and_tail()
    {
        await using ContainerLogStore store = await OpenAsync();
        await store.AppendAsync("n1", Batch("web", "app", 0, 5, "web", time: "2026-12-07T09:00:00Z"), CancellationToken.None);
        await store.AppendAsync("n1", Batch("web", "sidecar", 0, 2, "web", time: "2026-12-07T09:30:00Z"), CancellationToken.None);
        await store.AppendAsync("n2", Batch("db", "db", 0, 3, "db", ns: "data", time: "2026-12-07T09:59:00Z"), CancellationToken.None);

        Task<List<ContainerLogRecord>> Query(string? ns, string labels = "", string fields = "", string? since = null, long? tail = null) => ReadAllAsync(store, new ContainerLogQuery(
            ns, LabelSelector.Parse(labels), FieldSelector.Parse(fields), since is null ? null : (LogTime.TryParse(since, out long t) ? t : throw new FormatException(since)), tail));

        Assert.Equal(10, (await Query(null)).Count);
        Assert.Equal(7, (await Query("default")).Count);
        Assert.Equal(3, (await Query(null, "app=db")).Count);
        Assert.Equal(7, (await Query(null, "app in (web)")).Count);
        Assert.Equal(2, (await Query("default", fields: "container=sidecar")).Count);
        Assert.Equal(5, (await Query("default", fields: "metadata.name=web,container!=sidecar")).Count);
        Assert.Equal(3, (await Query(null, fields: "node=n2")).Count);
        Assert.Equal(5, (await Query(null, since: "2026-12-07T09:15:00Z")).Count);
        Assert.Equal(["web line 4", "web line 0", "web line 1"], (await Query("default", tail: 3)).Select(r => r.Message[..10]));
        Assert.Empty(await Query("default", tail: 0));
    }

    [Fact]
    public async Task Follow_gives_the_lines_appended_after_it_began()
    {
        await using ContainerLogStore store = await OpenAsync();
        await store.AppendAsync("n1", Batch("web", "c", 0, 2), CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        var query = new ContainerLogQuery("default", LabelSelector.Everything, FieldSelector.Everything, null, 1);
        Task reading = Task.Run(async () =>
        {
            await foreach (ContainerLogRecord record in store.ReadAsync(query, follow: true, stop.Token))
            {
                lock (seen)
                {
                    seen.Add(record.Message[..10]);
                }
            }
        });
        await Eventually(() => { lock (seen) { return seen.Count == 1; } }, "the tail line");
        await store.AppendAsync("n1", Batch("web", "c", 200, 2), CancellationToken.None);
        await Eventually(() => { lock (seen) { return seen.Count == 3; } }, "the appended lines");
        await stop.CancelAsync();
        await reading;
        Assert.Equal(["web line 1", "web line 2", "web line 3"], seen);
    }
}
