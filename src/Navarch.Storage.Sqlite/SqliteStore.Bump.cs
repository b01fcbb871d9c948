using Microsoft.Data.Sqlite;

namespace Navarch.Storage.Sqlite;

public sealed partial class SqliteStore : IRevisionBump
{
    /// <summary>
    /// etcd 3.5's <c>--bump-revision --mark-compacted</c> on SQLite, where the store owns its revision counter: the
    /// counter jumps by <paramref name="amount"/> and the compacted revision follows it, in one commit queued behind
    /// every earlier write. Rows keep their revisions (each object its resourceVersion, as etcd's bump leaves them);
    /// the total jump is kept in the database as its revision offset, which this returns.
    /// </summary>
    public async Task<long> BumpRevisionAsync(long amount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        cancellationToken.ThrowIfCancellationRequested();
        return (long)await EnqueueAsync(new WriteRequest(WriteKind.BumpRevision, "/", [], amount, null)).ConfigureAwait(false);
    }

    private long AddToOffset(SqliteTransaction tx, long amount)
    {
        using SqliteCommand update = Command(_writer, tx, "UPDATE meta SET value = value + $amount WHERE name = 'revision_offset' RETURNING value");
        update.Parameters.AddWithValue("$amount", amount);
        return (long)update.ExecuteScalar()!;
    }
}
