using System.Collections.Concurrent;
using System.Text;

namespace Navarch.Storage.Tests.Conformance;

/// <summary>
/// The one conformance suite every backend passes. Each test works under its own prefix, so a backend may
/// share one server between tests; revisions are store-wide, so tests reason about them relatively.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    /// <summary>The watch buffer the backend under test is opened with, small so slow watchers show quickly.</summary>
    protected const int WatchBuffer = 128;

    private readonly List<IStore> _opened = [];

    protected string P { get; } = $"/registry/conformance-{Guid.NewGuid():N}/";

    protected IStore Store { get; private set; } = null!;

    /// <summary>How long the backend lets a full watch buffer wait for its reader before ending the watcher.</summary>
    protected virtual TimeSpan SlowWatcherGrace => TimeSpan.Zero;

    /// <summary>Opens a store over the backend under test.</summary>
    protected abstract Task<IStore> OpenStoreAsync(int watchBufferSize);

    public async Task InitializeAsync() => Store = await OpenAsync();

    public async Task DisposeAsync()
    {
        foreach (IStore store in _opened)
        {
            await store.DisposeAsync();
        }
    }

    protected async Task<IStore> OpenAsync()
    {
        IStore store = await OpenStoreAsync(WatchBuffer);
        _opened.Add(store);
        return store;
    }

    protected static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    protected static string S(byte[] b) => Encoding.UTF8.GetString(b);

    private static readonly TimeSpan WatchTimeout = TimeSpan.FromSeconds(30);

    protected static async Task<List<WatchEvent>> TakeAsync(IAsyncEnumerator<WatchEvent> watch, int count)
    {
        var events = new List<WatchEvent>(count);
        while (events.Count < count)
        {
            Task<bool> next = watch.MoveNextAsync().AsTask();
            Assert.True(await next.WaitAsync(WatchTimeout), $"watch ended after {events.Count} of {count} events");
            events.Add(watch.Current);
        }

        return events;
    }

    // ---- CRUD and revisions -------------------------------------------------------------------------

    [Fact]
    public async Task Create_then_get_reports_revisions_and_version()
    {
        long before = await Store.GetCurrentRevisionAsync();
        KeyValue created = await Store.CreateAsync(P + "a", B("one"));
        Assert.Equal(before + 1, created.ModRevision);
        Assert.Equal(created.ModRevision, created.CreateRevision);
        Assert.Equal(1, created.Version);

        KeyValue? got = await Store.GetAsync(P + "a");
        Assert.NotNull(got);
        Assert.Equal("one", S(got.Value));
        Assert.Equal(created.ModRevision, got.ModRevision);
        Assert.Equal(created.CreateRevision, got.CreateRevision);
        Assert.Equal(1, got.Version);
        Assert.True(await Store.GetCurrentRevisionAsync() >= created.ModRevision);
    }

    [Fact]
    public async Task Every_change_advances_the_revision_by_exactly_one()
    {
        // Tests of one class run one at a time on their own store, so nothing else writes in between.
        long start = await Store.GetCurrentRevisionAsync();
        KeyValue a = await Store.CreateAsync(P + "a", B("1"));
        KeyValue a2 = await Store.UpdateAsync(P + "a", B("2"), a.ModRevision);
        DeleteResult del = await Store.DeleteAsync(P + "a");
        Assert.Equal([start + 1, start + 2, start + 3], new[] { a.ModRevision, a2.ModRevision, del.Revision });
        Assert.Equal(start + 3, await Store.GetCurrentRevisionAsync());
        Assert.Equal(2, a2.Version);
        Assert.Equal(a.CreateRevision, a2.CreateRevision);

        // A failed write changes nothing.
        await Assert.ThrowsAsync<StorageException>(() => Store.UpdateAsync(P + "a", B("3"), 0));
        Assert.Equal(start + 3, await Store.GetCurrentRevisionAsync());
    }

    [Fact]
    public async Task Create_of_a_live_key_fails_and_recreate_after_delete_starts_a_new_life()
    {
        KeyValue first = await Store.CreateAsync(P + "k", B("v1"));
        StorageException e = await Assert.ThrowsAsync<StorageException>(() => Store.CreateAsync(P + "k", B("v2")));
        Assert.Equal(StorageErrorCode.KeyExists, e.Code);
        Assert.Equal("v1", S((await Store.GetAsync(P + "k"))!.Value));

        await Store.DeleteAsync(P + "k");
        KeyValue again = await Store.CreateAsync(P + "k", B("v3"));
        Assert.Equal(1, again.Version);
        Assert.True(again.CreateRevision > first.CreateRevision);
        Assert.Equal(again.ModRevision, again.CreateRevision);
    }

    [Fact]
    public async Task Update_is_compare_and_swap_on_mod_revision()
    {
        KeyValue v1 = await Store.CreateAsync(P + "k", B("v1"));
        KeyValue v2 = await Store.UpdateAsync(P + "k", B("v2"), v1.ModRevision);
        Assert.Equal(2, v2.Version);

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => Store.UpdateAsync(P + "k", B("stale"), v1.ModRevision));
        Assert.Equal(StorageErrorCode.Conflict, e.Code);
        Assert.NotNull(e.Current);
        Assert.Equal("v2", S(e.Current.Value));
        Assert.Equal(v2.ModRevision, e.Current.ModRevision);
        Assert.Equal("v2", S((await Store.GetAsync(P + "k"))!.Value));

        KeyValue v3 = await Store.UpdateAsync(P + "k", B("v3"), 0);
        Assert.Equal(3, v3.Version);
        Assert.Equal(v1.CreateRevision, v3.CreateRevision);
    }

    [Fact]
    public async Task Update_and_delete_of_a_missing_key_are_not_found()
    {
        StorageException u = await Assert.ThrowsAsync<StorageException>(() => Store.UpdateAsync(P + "missing", B("x"), 0));
        Assert.Equal(StorageErrorCode.KeyNotFound, u.Code);
        StorageException d = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteAsync(P + "missing"));
        Assert.Equal(StorageErrorCode.KeyNotFound, d.Code);
        Assert.Null(await Store.GetAsync(P + "missing"));
    }

    [Fact]
    public async Task Delete_may_be_conditional_and_returns_the_last_version()
    {
        KeyValue v1 = await Store.CreateAsync(P + "k", B("v1"));
        KeyValue v2 = await Store.UpdateAsync(P + "k", B("v2"), v1.ModRevision);

        StorageException e = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteAsync(P + "k", v1.ModRevision));
        Assert.Equal(StorageErrorCode.Conflict, e.Code);
        Assert.Equal(v2.ModRevision, e.Current!.ModRevision);
        Assert.NotNull(await Store.GetAsync(P + "k"));

        DeleteResult deleted = await Store.DeleteAsync(P + "k", v2.ModRevision);
        Assert.Equal("v2", S(deleted.Deleted.Value));
        Assert.Equal(v2.ModRevision, deleted.Deleted.ModRevision);
        Assert.True(deleted.Revision > v2.ModRevision);
        Assert.Null(await Store.GetAsync(P + "k"));
    }

    [Fact]
    public async Task Get_at_a_past_revision_sees_the_value_of_that_time()
    {
        KeyValue v1 = await Store.CreateAsync(P + "k", B("v1"));
        KeyValue v2 = await Store.UpdateAsync(P + "k", B("v2"), 0);
        DeleteResult gone = await Store.DeleteAsync(P + "k");

        Assert.Null(await Store.GetAsync(P + "k", v1.ModRevision - 1));
        Assert.Equal("v1", S((await Store.GetAsync(P + "k", v1.ModRevision))!.Value));
        Assert.Equal("v2", S((await Store.GetAsync(P + "k", v2.ModRevision))!.Value));
        Assert.Equal("v2", S((await Store.GetAsync(P + "k", gone.Revision - 1))!.Value));
        Assert.Null(await Store.GetAsync(P + "k", gone.Revision));

        long current = await Store.GetCurrentRevisionAsync();
        StorageException e = await Assert.ThrowsAsync<StorageException>(() => Store.GetAsync(P + "k", current + 1000));
        Assert.Equal(StorageErrorCode.FutureRevision, e.Code);
    }

    // ---- List and count ----------------------------------------------------------------------------

    [Fact]
    public async Task List_returns_live_keys_under_the_prefix_in_key_order()
    {
        foreach (string name in new[] { "c", "a", "b", "ab" })
        {
            await Store.CreateAsync(P + "items/" + name, B(name));
        }

        await Store.CreateAsync(P + "itemsX", B("not under items/"));
        await Store.CreateAsync(P + "other/a", B("elsewhere"));
        await Store.DeleteAsync(P + "items/b");

        ListResult list = await Store.ListAsync(P + "items/", new ListOptions());
        Assert.Equal(["a", "ab", "c"], list.Items.Select(kv => S(kv.Value)));
        Assert.Null(list.Continue);
        Assert.True(list.Revision >= list.Items.Max(i => i.ModRevision));
        Assert.Equal(3, await Store.CountAsync(P + "items/"));
        Assert.Equal(0, await Store.CountAsync(P + "nothing/"));
        Assert.Empty((await Store.ListAsync(P + "nothing/", new ListOptions())).Items);
    }

    [Fact]
    public async Task Paged_list_stays_consistent_at_one_revision_while_writes_go_on()
    {
        for (int i = 0; i < 25; i++)
        {
            await Store.CreateAsync($"{P}k/{i:D3}", B($"orig-{i}"));
        }

        ListResult page = await Store.ListAsync(P + "k/", new ListOptions(Limit: 10));
        long pinned = page.Revision;
        var seen = new List<KeyValue>(page.Items);
        Assert.Equal(10, page.Items.Count);
        Assert.Equal(15, page.RemainingCount);
        Assert.NotNull(page.Continue);

        // Writes between pages: an update, a delete, a create — none may show in the later pages.
        await Store.UpdateAsync(P + "k/015", B("changed"), 0);
        await Store.DeleteAsync(P + "k/020");
        await Store.CreateAsync(P + "k/0125", B("new"));
        await Store.DeleteAsync(P + "k/000");

        int pages = 1;
        while (page.Continue is not null)
        {
            page = await Store.ListAsync(P + "k/", new ListOptions(Limit: 10, Continue: page.Continue));
            Assert.Equal(pinned, page.Revision);
            seen.AddRange(page.Items);
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"orig-{i}"), seen.Select(kv => S(kv.Value)));

        ListResult now = await Store.ListAsync(P + "k/", new ListOptions());
        Assert.Equal(24, now.Items.Count);
        Assert.Contains(now.Items, kv => S(kv.Value) == "changed");
    }

    [Fact]
    public async Task List_at_a_past_revision_sees_that_time()
    {
        KeyValue a = await Store.CreateAsync(P + "a", B("a1"));
        await Store.CreateAsync(P + "b", B("b1"));
        await Store.UpdateAsync(P + "a", B("a2"), 0);
        await Store.DeleteAsync(P + "b");

        ListResult then = await Store.ListAsync(P, new ListOptions(Revision: a.ModRevision + 1));
        Assert.Equal(["a1", "b1"], then.Items.Select(kv => S(kv.Value)));
        Assert.Equal(a.ModRevision + 1, then.Revision);
    }

    [Fact]
    public async Task A_foreign_continue_token_is_rejected()
    {
        await Store.CreateAsync(P + "a", B("a"));
        StorageException e = await Assert.ThrowsAsync<StorageException>(() => Store.ListAsync(P, new ListOptions(Limit: 1, Continue: "bm90LWEtdG9rZW4")));
        Assert.Equal(StorageErrorCode.InvalidContinue, e.Code);

        ListResult other = await Store.ListAsync(P, new ListOptions(Limit: 1));
        await Store.CreateAsync(P + "b", B("b"));
        ListResult first = await Store.ListAsync(P, new ListOptions(Limit: 1));
        StorageException wrongPrefix = await Assert.ThrowsAsync<StorageException>(() => Store.ListAsync("/registry/elsewhere/", new ListOptions(Limit: 1, Continue: first.Continue)));
        Assert.Equal(StorageErrorCode.InvalidContinue, wrongPrefix.Code);
        Assert.Null(other.Continue);
    }

    // ---- Concurrency -------------------------------------------------------------------------------

    [Fact]
    public async Task Guaranteed_update_from_many_tasks_counts_every_increment()
    {
        const int tasks = 40;
        await Store.CreateAsync(P + "counter", B("0"));
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(_ => Task.Run(() => Store.GuaranteedUpdateAsync(
            P + "counter",
            kv => B((int.Parse(S(kv!.Value)) + 1).ToString())))));

        KeyValue final = (await Store.GetAsync(P + "counter"))!;
        Assert.Equal(tasks.ToString(), S(final.Value));
        Assert.Equal(tasks + 1, final.Version);
    }

    [Fact]
    public async Task Guaranteed_update_may_create_and_may_decline()
    {
        KeyValue? created = await Store.GuaranteedUpdateAsync(P + "new", kv => kv is null ? B("made") : null, ignoreNotFound: true);
        Assert.Equal("made", S(created!.Value));
        KeyValue? unchanged = await Store.GuaranteedUpdateAsync(P + "new", _ => null);
        Assert.Equal(created.ModRevision, unchanged!.ModRevision);
        StorageException e = await Assert.ThrowsAsync<StorageException>(() => Store.GuaranteedUpdateAsync(P + "absent", _ => B("x")));
        Assert.Equal(StorageErrorCode.KeyNotFound, e.Code);
    }

    // ---- Watch -------------------------------------------------------------------------------------

    [Fact]
    public async Task Watch_delivers_every_change_once_in_order_under_concurrent_writers()
    {
        const int writers = 4, perWriter = 40;
        long start = await Store.GetCurrentRevisionAsync();
        await using IAsyncEnumerator<WatchEvent> watch = Store.WatchAsync(P, start).GetAsyncEnumerator();
        var written = new ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            string key = $"{P}w{w}";
            KeyValue kv = await Store.CreateAsync(key, B("0"));
            written.Add(kv.ModRevision);
            for (int i = 1; i < perWriter - 1; i++)
            {
                kv = await Store.UpdateAsync(key, B(i.ToString()), kv.ModRevision);
                written.Add(kv.ModRevision);
            }

            written.Add((await Store.DeleteAsync(key)).Revision);
        })));

        List<WatchEvent> events = await TakeAsync(watch, writers * perWriter);
        long[] revisions = events.Select(e => e.Revision).ToArray();
        Assert.Equal(revisions.Order(), revisions);
        Assert.Equal(revisions.Length, revisions.Distinct().Count());
        Assert.Equal(written.Order(), revisions);
        foreach (WatchEvent e in events)
        {
            Assert.StartsWith(P, e.Kv.Key);
            if (e.Type == WatchEventType.Delete || e.Kv.Version > 1)
            {
                Assert.NotNull(e.PrevKv);
                Assert.True(e.PrevKv.ModRevision < e.Revision);
            }
            else
            {
                Assert.Null(e.PrevKv);
            }
        }
    }

    [Fact]
    public async Task Watch_from_an_old_revision_replays_history_then_streams_live()
    {
        KeyValue a = await Store.CreateAsync(P + "a", B("a1"));
        await Store.UpdateAsync(P + "a", B("a2"), 0);
        await Store.CreateAsync(P + "b", B("b1"));
        await Store.DeleteAsync(P + "a");
        await Store.CreateAsync("/registry/unrelated-" + Guid.NewGuid().ToString("N"), B("x"));

        await using IAsyncEnumerator<WatchEvent> watch = Store.WatchAsync(P, a.ModRevision - 1).GetAsyncEnumerator();
        List<WatchEvent> history = await TakeAsync(watch, 4);
        Assert.Equal(
            ["Put a a1 -", "Put a a2 a1", "Put b b1 -", "Delete a  a2"],
            history.Select(e => $"{e.Type} {e.Kv.Key[P.Length..]} {S(e.Kv.Value)} {(e.PrevKv is null ? "-" : S(e.PrevKv.Value))}".TrimEnd()));
        Assert.True(history[0].IsCreate);

        KeyValue b2 = await Store.UpdateAsync(P + "b", B("b2"), 0);
        List<WatchEvent> live = await TakeAsync(watch, 1);
        Assert.Equal(b2.ModRevision, live[0].Revision);
        Assert.Equal("b1", S(live[0].PrevKv!.Value));
    }

    [Fact]
    public async Task Watch_started_while_writes_race_has_no_gap_and_no_duplicate()
    {
        const int total = 200;
        var revisions = new long[total];
        var startedAt = new TaskCompletionSource<long>();
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; i < total; i++)
            {
                revisions[i] = (await Store.CreateAsync($"{P}r/{i:D4}", B(i.ToString()))).ModRevision;
                if (i == total / 4)
                {
                    startedAt.SetResult(revisions[i]);
                }
            }
        });

        long since = await startedAt.Task;
        await using IAsyncEnumerator<WatchEvent> watch = Store.WatchAsync(P + "r/", since).GetAsyncEnumerator();
        await writer;
        long[] expected = revisions.Where(r => r > since).ToArray();
        List<WatchEvent> events = await TakeAsync(watch, expected.Length);
        Assert.Equal(expected, events.Select(e => e.Revision));

        // Nothing more than what was written arrives.
        await Store.CreateAsync(P + "r/zzzz", B("sentinel"));
        Assert.Equal("sentinel", S((await TakeAsync(watch, 1))[0].Kv.Value));
    }

    [Fact]
    public async Task Watch_from_now_sees_only_later_changes()
    {
        await Store.CreateAsync(P + "before", B("old"));
        await using IAsyncEnumerator<WatchEvent> watch = Store.WatchAsync(P, null).GetAsyncEnumerator();
        Task<bool> first = watch.MoveNextAsync().AsTask();

        // Nothing says when a watch from now has registered, so markers are written until it shows one: from then on
        // it sees every write, and it must never have shown the earlier one.
        int markers = 0;
        await Eventually(
            async () =>
            {
                await Store.CreateAsync($"{P}marker/{markers++:D4}", B("m"));
                return first.IsCompleted;
            },
            "the watch sees a marker",
            WatchTimeout,
            TimeSpan.FromMilliseconds(20));
        Assert.True(await first);
        await Store.CreateAsync(P + "after", B("new"));
        List<string> keys = [watch.Current.Kv.Key];
        while (keys[^1] != P + "after")
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(WatchTimeout));
            keys.Add(watch.Current.Kv.Key);
        }

        Assert.All(keys[..^1], k => Assert.StartsWith(P + "marker/", k, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_watcher_is_ended_with_a_distinct_error_and_blocks_nobody()
    {
        long start = await Store.GetCurrentRevisionAsync();
        await using IAsyncEnumerator<WatchEvent> slow = Store.WatchAsync(P, start).GetAsyncEnumerator();
        await using IAsyncEnumerator<WatchEvent> fast = Store.WatchAsync(P, start).GetAsyncEnumerator();
        Task<bool> slowFirst = slow.MoveNextAsync().AsTask();
        Task<List<WatchEvent>> fastEvents = TakeAsync(fast, WatchBuffer * 4 + 1);
        await Store.CreateAsync(P + "first", B("x"));
        Assert.True(await slowFirst.WaitAsync(WatchTimeout));

        // The slow watcher reads nothing while four buffers' worth of writes go through.
        Task writes = Task.Run(async () =>
        {
            for (int i = 0; i < WatchBuffer * 4; i++)
            {
                await Store.CreateAsync($"{P}s/{i:D5}", B("x"));
            }
        });
        await writes.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(WatchBuffer * 4 + 1, (await fastEvents).Count);
        // Not a wait for something to happen: staying unread for longer than the grace is the scenario itself.
        await Task.Delay(SlowWatcherGrace * 2);

        var ended = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            while (await slow.MoveNextAsync().AsTask().WaitAsync(WatchTimeout))
            {
            }
        });
        Assert.Equal(StorageErrorCode.WatcherTooSlow, ended.Code);
    }

    // ---- Compaction --------------------------------------------------------------------------------

    [Fact]
    public async Task Reads_and_watches_below_the_compacted_revision_fail_with_compacted()
    {
        KeyValue v1 = await Store.CreateAsync(P + "k", B("v1"));
        KeyValue v2 = await Store.UpdateAsync(P + "k", B("v2"), 0);
        KeyValue other = await Store.CreateAsync(P + "gone", B("x"));
        await Store.DeleteAsync(P + "gone");
        KeyValue v3 = await Store.UpdateAsync(P + "k", B("v3"), 0);

        await Store.CompactAsync(v3.ModRevision);
        Assert.True(await Store.GetCompactedRevisionAsync() >= v3.ModRevision);

        StorageException get = await Assert.ThrowsAsync<StorageException>(() => Store.GetAsync(P + "k", v2.ModRevision));
        Assert.Equal(StorageErrorCode.Compacted, get.Code);
        StorageException list = await Assert.ThrowsAsync<StorageException>(() => Store.ListAsync(P, new ListOptions(Revision: v1.ModRevision)));
        Assert.Equal(StorageErrorCode.Compacted, list.Code);
        StorageException watch = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            await foreach (WatchEvent _ in Store.WatchAsync(P, v1.ModRevision))
            {
            }
        });
        Assert.Equal(StorageErrorCode.Compacted, watch.Code);

        // Live data is untouched, and the compacted revision itself is still readable.
        KeyValue now = (await Store.GetAsync(P + "k"))!;
        Assert.Equal("v3", S(now.Value));
        Assert.Equal(3, now.Version);
        Assert.Equal(v1.CreateRevision, now.CreateRevision);
        Assert.Equal("v3", S((await Store.GetAsync(P + "k", v3.ModRevision))!.Value));
        Assert.Null(await Store.GetAsync(P + "gone"));
        Assert.Equal(1, await Store.CountAsync(P));
        Assert.True(other.ModRevision > 0);

        // Compacting backwards is a no-op, and a watch from the compacted revision works.
        await Store.CompactAsync(v1.ModRevision);
        await using IAsyncEnumerator<WatchEvent> fromCompacted = Store.WatchAsync(P, v3.ModRevision).GetAsyncEnumerator();
        KeyValue v4 = await Store.UpdateAsync(P + "k", B("v4"), 0);
        Assert.Equal(v4.ModRevision, (await TakeAsync(fromCompacted, 1))[0].Revision);
    }

    [Fact]
    public async Task A_paged_list_whose_revision_is_compacted_fails_with_compacted()
    {
        for (int i = 0; i < 5; i++)
        {
            await Store.CreateAsync($"{P}{i}", B("x"));
        }

        ListResult first = await Store.ListAsync(P, new ListOptions(Limit: 2));
        KeyValue later = await Store.UpdateAsync(P + "0", B("y"), 0);
        await Store.CompactAsync(later.ModRevision);
        StorageException e = await Assert.ThrowsAsync<StorageException>(() => Store.ListAsync(P, new ListOptions(Limit: 2, Continue: first.Continue)));
        Assert.Equal(StorageErrorCode.Compacted, e.Code);
    }

    // ---- Leases ------------------------------------------------------------------------------------

    [Fact]
    public async Task A_key_with_a_ttl_is_deleted_when_it_expires_and_watchers_see_it()
    {
        long start = await Store.GetCurrentRevisionAsync();
        await using IAsyncEnumerator<WatchEvent> watch = Store.WatchAsync(P, start).GetAsyncEnumerator();
        KeyValue kv = await Store.CreateAsync(P + "event", B("short-lived"), new WriteOptions(Ttl: TimeSpan.FromSeconds(2)));
        await Store.CreateAsync(P + "durable", B("stays"));
        Assert.NotEqual(0, kv.Lease);

        List<WatchEvent> events = await TakeAsync(watch, 3);
        WatchEvent expiry = events[2];
        Assert.Equal(WatchEventType.Delete, expiry.Type);
        Assert.Equal(P + "event", expiry.Kv.Key);
        Assert.Equal("short-lived", S(expiry.PrevKv!.Value));
        Assert.Null(await Store.GetAsync(P + "event"));
        Assert.NotNull(await Store.GetAsync(P + "durable"));
    }

    // ---- Bad input ---------------------------------------------------------------------------------

    public static TheoryData<string, StorageErrorCode> BadKeys => new()
    {
        { "", StorageErrorCode.InvalidKey },
        { "no-leading-slash", StorageErrorCode.InvalidKey },
        { "/has\0nul", StorageErrorCode.InvalidKey },
        { "/" + new string('k', 1024), StorageErrorCode.InvalidKey },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Bad_keys_are_rejected_and_nothing_is_written(string key, StorageErrorCode code)
    {
        long before = await Store.GetCurrentRevisionAsync();
        Assert.Equal(code, (await Assert.ThrowsAsync<StorageException>(() => Store.CreateAsync(key, B("x")))).Code);
        Assert.Equal(code, (await Assert.ThrowsAsync<StorageException>(() => Store.UpdateAsync(key, B("x"), 0))).Code);
        Assert.Equal(code, (await Assert.ThrowsAsync<StorageException>(() => Store.DeleteAsync(key))).Code);
        Assert.Equal(code, (await Assert.ThrowsAsync<StorageException>(() => Store.GetAsync(key))).Code);
        Assert.Equal(before, await Store.GetCurrentRevisionAsync());
    }

    [Fact]
    public async Task An_oversized_value_is_rejected_and_nothing_is_written()
    {
        KeyValue kv = await Store.CreateAsync(P + "k", B("small"));
        long before = await Store.GetCurrentRevisionAsync();
        byte[] huge = new byte[KeyRules.MaxValueBytes + 1];
        Assert.Equal(StorageErrorCode.ValueTooLarge, (await Assert.ThrowsAsync<StorageException>(() => Store.CreateAsync(P + "big", huge))).Code);
        Assert.Equal(StorageErrorCode.ValueTooLarge, (await Assert.ThrowsAsync<StorageException>(() => Store.UpdateAsync(P + "k", huge, kv.ModRevision))).Code);
        Assert.Equal(before, await Store.GetCurrentRevisionAsync());
        Assert.Equal("small", S((await Store.GetAsync(P + "k"))!.Value));
        Assert.Null(await Store.GetAsync(P + "big"));

        // Exactly the limit is fine.
        byte[] max = new byte[KeyRules.MaxValueBytes];
        Assert.Equal(max.Length, (await Store.CreateAsync(P + "max", max)).Value.Length);
    }
}
