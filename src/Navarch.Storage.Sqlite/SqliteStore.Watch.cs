using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Navarch.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const int ReplayPage = 1000;

    /// <inheritdoc />
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long? sinceRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        KeyRules.ValidatePrefix(prefix);
        ThrowIfDisposed(prefix);

        // Subscribe first: from here every newly committed event reaches the buffer, and everything up to the
        // subscription's start revision is already in the database, so history + buffer has no gap.
        WatchHub.Subscriber subscriber = _hub.Subscribe(prefix, _options.WatchBufferSize);
        try
        {
            long last = subscriber.StartRevision;
            if (sinceRevision is { } since && since < subscriber.StartRevision)
            {
                last = since;
                while (last < subscriber.StartRevision)
                {
                    List<WatchEvent> page = await ReadHistoryAsync(prefix, last, subscriber.StartRevision, since, cancellationToken).ConfigureAwait(false);
                    foreach (WatchEvent e in page)
                    {
                        yield return e;
                    }

                    last = page.Count < ReplayPage ? subscriber.StartRevision : page[^1].Revision;
                }
            }
            else if (sinceRevision is { } ahead)
            {
                last = ahead;
            }

            await foreach (WatchEvent e in subscriber.Events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (e.Revision > last)
                {
                    yield return e;
                }
            }
        }
        finally
        {
            _hub.Unsubscribe(subscriber);
        }
    }

    /// <summary>One page of history after <paramref name="after"/>, up to <paramref name="upTo"/>, in revision order.</summary>
    private async Task<List<WatchEvent>> ReadHistoryAsync(string prefix, long after, long upTo, long since, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteTransaction tx = connection.BeginTransaction(deferred: true);
        long compacted = await ReadMetaAsync(connection, tx, "compact_rev", cancellationToken).ConfigureAwait(false);
        if (since + 1 < compacted)
        {
            throw StorageException.CompactedAt(prefix, since + 1, compacted);
        }

        await using SqliteCommand select = Command(connection, tx, $"""
            SELECT {Schema.Columns}, p.rev, p.key, p.deleted, p.create_rev, p.prev_rev, p.version, p.lease, p.value
            FROM kv LEFT JOIN kv p ON p.rev = kv.prev_rev AND kv.prev_rev != 0
            WHERE kv.rev > $after AND kv.rev <= $upTo AND kv.key >= $lo AND kv.key < $hi
            ORDER BY kv.rev
            LIMIT $page
            """);
        select.Parameters.AddWithValue("$after", after);
        select.Parameters.AddWithValue("$upTo", upTo);
        select.Parameters.AddWithValue("$lo", prefix);
        select.Parameters.AddWithValue("$hi", PrefixEnd(prefix));
        select.Parameters.AddWithValue("$page", ReplayPage);
        var events = new List<WatchEvent>();
        await using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            Row row = Row.Read(reader);
            KeyValue? previous = reader.IsDBNull(8) ? null : Row.Read(reader, 8).ToKeyValue();
            events.Add(row.Deleted
                ? new WatchEvent(WatchEventType.Delete, row.Rev, new KeyValue(row.Key, [], 0, row.Rev, 0), previous)
                : new WatchEvent(WatchEventType.Put, row.Rev, row.ToKeyValue(), previous));
        }

        return events;
    }
}
