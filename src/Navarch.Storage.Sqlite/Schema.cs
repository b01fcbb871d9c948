namespace Navarch.Storage.Sqlite;

/// <summary>
/// The MVCC layout: one row per revision. A row is a put (the key's value from that revision on) or a tombstone
/// (deleted = 1). The newest row of a key at or below a revision is the key's state at that revision.
/// </summary>
internal static class Schema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS kv (
            rev        INTEGER PRIMARY KEY,
            key        TEXT    NOT NULL,
            deleted    INTEGER NOT NULL,
            create_rev INTEGER NOT NULL,
            prev_rev   INTEGER NOT NULL,
            version    INTEGER NOT NULL,
            lease      INTEGER NOT NULL,
            value      BLOB    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
        CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease) WHERE lease != 0;
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY, expires_at_ms INTEGER NOT NULL);
        INSERT OR IGNORE INTO meta (name, value) VALUES ('current_rev', 0), ('compact_rev', 0), ('revision_offset', 0);
        """;

    /// <summary>The columns every row read selects, in the order <see cref="Row.Read"/> reads them.</summary>
    public const string Columns = "kv.rev, kv.key, kv.deleted, kv.create_rev, kv.prev_rev, kv.version, kv.lease, kv.value";
}
