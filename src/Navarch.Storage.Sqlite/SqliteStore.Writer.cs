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
        using var commands = new WriterCommands(_writer);
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
                commands.Use(tx);
                long nowMs = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (WriteRequest request in batch)
                {
                    try
                    {
                        if (request.Kind == WriteKind.CompactStep)
                        {
                            compacted = Math.Max(compacted, request.Expected);
                            request.Result = CompactStep(tx, request.Expected, request.Cursor, nowMs);
                        }
                        else if (request.Kind == WriteKind.BumpRevision)
                        {
                            revision += request.Expected;
                            compacted = Math.Max(compacted, revision);
                            request.Result = AddToOffset(tx, request.Expected);
                        }
                        else
                        {
                            request.Result = Apply(commands, tx, request, ref revision, nowMs, events);
                        }
                    }
                    catch (StorageException e)
                    {
                        errors[request] = e;
                    }
                }

                commands.SetMeta("current_rev", revision);
                commands.SetMeta("compact_rev", compacted);
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
            _hub.Publish(events, revision);
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

    private static object Apply(WriterCommands commands, SqliteTransaction tx, WriteRequest request, ref long revision, long nowMs, List<WatchEvent> events)
    {
        Row? latest = commands.Latest(request.Key);
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
                commands.Insert(row);
                KeyValue kv = row.ToKeyValue();
                events.Add(new WatchEvent(WatchEventType.Put, rev, kv, null));
                return kv;
            }

            case WriteKind.Update:
            {
                CheckPrecondition(request, live);
                long rev = ++revision;
                var row = new Row(rev, request.Key, false, live!.CreateRev, live.Rev, live.Version + 1, LeaseFor(tx, request, rev, nowMs), request.Value);
                commands.Insert(row);
                KeyValue kv = row.ToKeyValue();
                events.Add(new WatchEvent(WatchEventType.Put, rev, kv, live.ToKeyValue()));
                return kv;
            }

            case WriteKind.Delete:
            {
                CheckPrecondition(request, live);
                long rev = ++revision;
                commands.Insert(new Row(rev, request.Key, true, 0, live!.Rev, 0, 0, []));
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
    /// Removes the history in one window of revisions [cursor, cursor + batch) below <paramref name="compactTo"/>:
    /// rows that a newer row at or below it supersedes, and tombstones. Windows go oldest first, so a tombstone never
    /// goes before the rows it hides, and each step touches a bounded number of rows. Returns the next cursor.
    /// </summary>
    private long CompactStep(SqliteTransaction tx, long compactTo, long cursor, long nowMs)
    {
        if (cursor == 0)
        {
            using (SqliteCommand leases = Command(_writer, tx, """
                DELETE FROM leases WHERE expires_at_ms < $old
                  AND NOT EXISTS (SELECT 1 FROM kv WHERE kv.lease = leases.id AND kv.deleted = 0)
                """))
            {
                leases.Parameters.AddWithValue("$old", nowMs - 60_000);
                leases.ExecuteNonQuery();
            }

            using SqliteCommand oldest = Command(_writer, tx, "SELECT COALESCE(MIN(rev), 0) FROM kv");
            cursor = Math.Max(1, (long)oldest.ExecuteScalar()!);
        }

        long end = Math.Min(cursor + _options.CompactionBatchSize, compactTo);
        using SqliteCommand delete = Command(_writer, tx, """
            DELETE FROM kv
            WHERE rev >= $lo AND rev < $hi
              AND (deleted = 1 OR EXISTS (SELECT 1 FROM kv n WHERE n.key = kv.key AND n.rev > kv.rev AND n.rev <= $c))
            """);
        delete.Parameters.AddWithValue("$lo", cursor);
        delete.Parameters.AddWithValue("$hi", end);
        delete.Parameters.AddWithValue("$c", compactTo);
        delete.ExecuteNonQuery();

        // The next window starts at the next row: after a revision bump (BumpRevisionAsync) a gap of a billion
        // revisions holds none, and stepping through it window by window would take a transaction per window.
        using SqliteCommand next = Command(_writer, tx, "SELECT COALESCE(MIN(rev), $c) FROM kv WHERE rev >= $hi");
        next.Parameters.AddWithValue("$hi", end);
        next.Parameters.AddWithValue("$c", compactTo);
        return Math.Max(end, Math.Min(compactTo, (long)next.ExecuteScalar()!));
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
