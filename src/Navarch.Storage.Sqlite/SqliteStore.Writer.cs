using Microsoft.Data.Sqlite;

namespace Navarch.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// The only writer. It takes every queued request (up to the batch size), applies them in order inside one
    /// transaction, commits once (one fsync for the whole batch), then publishes the events and answers the callers.
    /// A request that fails its own check writes nothing and takes no revision; a failed commit fails the batch.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var batch = new List<WriteRequest>(_options.MaxBatchSize);
        var events = new List<WatchEvent>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            events.Clear();
            while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out WriteRequest? request))
            {
                batch.Add(request);
            }

            long revision = _revision;
            long compacted = _compacted;
            var errors = new Dictionary<WriteRequest, StorageException>();
            try
            {
                using SqliteTransaction tx = _writer.BeginTransaction();
                long nowMs = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (WriteRequest request in batch)
                {
                    try
                    {
                        if (request.Kind == WriteKind.CompactStep)
                        {
                            compacted = Math.Max(compacted, request.Expected);
                            request.Result = CompactStep(tx, compacted, nowMs);
                        }
                        else
                        {
                            request.Result = Apply(tx, request, ref revision, nowMs, events);
                        }
                    }
                    catch (StorageException e)
                    {
                        errors[request] = e;
                    }
                }

                SetMeta(tx, "current_rev", revision);
                SetMeta(tx, "compact_rev", compacted);
                tx.Commit();
            }
            catch (SqliteException e)
            {
                LogCommitFailed(_logger, batch.Count, e.Message);
                var unavailable = new StorageException(StorageErrorCode.Unavailable, "/", $"the store could not commit: {e.Message}", null, e);
                batch.ForEach(r => r.Fail(unavailable));
                continue;
            }

            Volatile.Write(ref _revision, revision);
            Volatile.Write(ref _compacted, compacted);
            _hub.Publish(events);
            foreach (WriteRequest request in batch)
            {
                if (errors.TryGetValue(request, out StorageException? error))
                {
                    request.Fail(error);
                }
                else
                {
                    request.Complete();
                }
            }
        }
    }

    private object Apply(SqliteTransaction tx, WriteRequest request, ref long revision, long nowMs, List<WatchEvent> events)
    {
        Row? latest = Latest(tx, request.Key);
        Row? live = latest is { Deleted: false } ? latest : null;
        switch (request.Kind)
        {
            case WriteKind.Create:
            {
                if (live is not null)
                {
                    throw StorageException.Exists(request.Key);
                }

                long rev = ++revision;
                var row = new Row(rev, request.Key, false, rev, 0, 1, LeaseFor(tx, request, rev, nowMs), request.Value);
                Insert(tx, row);
                KeyValue kv = row.ToKeyValue();
                events.Add(new WatchEvent(WatchEventType.Put, rev, kv, null));
                return kv;
            }

            case WriteKind.Update:
            {
                CheckPrecondition(request, live);
                long rev = ++revision;
                var row = new Row(rev, request.Key, false, live!.CreateRev, live.Rev, live.Version + 1, LeaseFor(tx, request, rev, nowMs), request.Value);
                Insert(tx, row);
                KeyValue kv = row.ToKeyValue();
                events.Add(new WatchEvent(WatchEventType.Put, rev, kv, live.ToKeyValue()));
                return kv;
            }

            case WriteKind.Delete:
            {
                CheckPrecondition(request, live);
                long rev = ++revision;
                Insert(tx, new Row(rev, request.Key, true, 0, live!.Rev, 0, 0, []));
                KeyValue previous = live.ToKeyValue();
                events.Add(new WatchEvent(WatchEventType.Delete, rev, new KeyValue(request.Key, [], 0, rev, 0), previous));
                return new DeleteResult(previous, rev);
            }

            default:
                throw new InvalidOperationException($"unexpected write kind {request.Kind}");
        }
    }

    private static void CheckPrecondition(WriteRequest request, Row? live)
    {
        if (live is null)
        {
            throw StorageException.NotFound(request.Key);
        }

        if (request.Expected != 0 && live.Rev != request.Expected)
        {
            throw StorageException.Conflicted(request.Key, live.ToKeyValue());
        }
    }

    /// <summary>A write with a TTL gets its own lease, named by the write's revision.</summary>
    private static long LeaseFor(SqliteTransaction tx, WriteRequest request, long revision, long nowMs)
    {
        if (request.Ttl is not { } ttl)
        {
            return 0;
        }

        using SqliteCommand insert = Command(tx.Connection!, tx, "INSERT INTO leases (id, expires_at_ms) VALUES ($id, $at)");
        insert.Parameters.AddWithValue("$id", revision);
        insert.Parameters.AddWithValue("$at", nowMs + (long)ttl.TotalMilliseconds);
        insert.ExecuteNonQuery();
        return revision;
    }

    /// <summary>
    /// Removes one batch of history below <paramref name="compactTo"/>: rows a newer row at or below it supersedes,
    /// and tombstones. Oldest first, so a tombstone never goes before the rows it hides.
    /// </summary>
    private long CompactStep(SqliteTransaction tx, long compactTo, long nowMs)
    {
        using (SqliteCommand leases = Command(_writer, tx, """
            DELETE FROM leases WHERE expires_at_ms < $old
              AND NOT EXISTS (SELECT 1 FROM kv WHERE kv.lease = leases.id AND kv.deleted = 0)
            """))
        {
            leases.Parameters.AddWithValue("$old", nowMs - 60_000);
            leases.ExecuteNonQuery();
        }

        using SqliteCommand delete = Command(_writer, tx, """
            DELETE FROM kv WHERE rev IN (
                SELECT k.rev FROM kv k
                WHERE k.rev < $c
                  AND (k.deleted = 1 OR EXISTS (SELECT 1 FROM kv n WHERE n.key = k.key AND n.rev > k.rev AND n.rev <= $c))
                ORDER BY k.rev
                LIMIT $n)
            """);
        delete.Parameters.AddWithValue("$c", compactTo);
        delete.Parameters.AddWithValue("$n", _options.CompactionBatchSize);
        return delete.ExecuteNonQuery();
    }

    private Row? Latest(SqliteTransaction tx, string key)
    {
        using SqliteCommand select = Command(_writer, tx, $"SELECT {Schema.Columns} FROM kv WHERE key = $key ORDER BY rev DESC LIMIT 1");
        select.Parameters.AddWithValue("$key", key);
        using SqliteDataReader reader = select.ExecuteReader();
        return reader.Read() ? Row.Read(reader) : null;
    }

    private void Insert(SqliteTransaction tx, Row row)
    {
        using SqliteCommand insert = Command(_writer, tx, """
            INSERT INTO kv (rev, key, deleted, create_rev, prev_rev, version, lease, value)
            VALUES ($rev, $key, $deleted, $create, $prev, $version, $lease, $value)
            """);
        insert.Parameters.AddWithValue("$rev", row.Rev);
        insert.Parameters.AddWithValue("$key", row.Key);
        insert.Parameters.AddWithValue("$deleted", row.Deleted ? 1 : 0);
        insert.Parameters.AddWithValue("$create", row.CreateRev);
        insert.Parameters.AddWithValue("$prev", row.PrevRev);
        insert.Parameters.AddWithValue("$version", row.Version);
        insert.Parameters.AddWithValue("$lease", row.Lease);
        insert.Parameters.AddWithValue("$value", row.Value);
        insert.ExecuteNonQuery();
    }

    private void SetMeta(SqliteTransaction tx, string name, long value)
    {
        using SqliteCommand update = Command(_writer, tx, "UPDATE meta SET value = $value WHERE name = $name");
        update.Parameters.AddWithValue("$name", name);
        update.Parameters.AddWithValue("$value", value);
        update.ExecuteNonQuery();
    }

    /// <summary>Deletes keys whose lease has expired, through the ordinary write path so watchers see the delete.</summary>
    private async Task SweepLeasesAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var expired = new List<(string Key, long Rev)>();
                await using (SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false))
                await using (SqliteCommand select = Command(connection, null, """
                    SELECT kv.key, kv.rev FROM leases JOIN kv ON kv.lease = leases.id
                    WHERE leases.expires_at_ms <= $now AND kv.deleted = 0
                      AND kv.rev = (SELECT MAX(rev) FROM kv latest WHERE latest.key = kv.key)
                    """))
                {
                    select.Parameters.AddWithValue("$now", _options.Time.GetUtcNow().ToUnixTimeMilliseconds());
                    await using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        expired.Add((reader.GetString(0), reader.GetInt64(1)));
                    }
                }

                foreach ((string key, long rev) in expired)
                {
                    try
                    {
                        await DeleteAsync(key, rev, cancellationToken).ConfigureAwait(false);
                    }
                    catch (StorageException e) when (e.Code is StorageErrorCode.Conflict or StorageErrorCode.KeyNotFound)
                    {
                        // Rewritten or deleted since it was read: the new version has its own lease, or none.
                    }
                }

                await Task.Delay(_options.LeaseSweepInterval, _options.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.Unavailable)
            {
                return;
            }
            catch (SqliteException e)
            {
                LogSweepFailed(_logger, e.Message);
                await Task.Delay(_options.LeaseSweepInterval, _options.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
