using Microsoft.Data.Sqlite;

namespace Navarch.Storage.Sqlite;

/// <summary>One row of the kv table.</summary>
internal sealed record Row(long Rev, string Key, bool Deleted, long CreateRev, long PrevRev, long Version, long Lease, byte[] Value)
{
    public KeyValue ToKeyValue() => new(Key, Value, CreateRev, Rev, Version, Lease);

    /// <summary>Reads a row selected with <see cref="Schema.Columns"/> starting at column <paramref name="at"/>.</summary>
    public static Row Read(SqliteDataReader reader, int at = 0) => new(
        reader.GetInt64(at),
        reader.GetString(at + 1),
        reader.GetInt64(at + 2) != 0,
        reader.GetInt64(at + 3),
        reader.GetInt64(at + 4),
        reader.GetInt64(at + 5),
        reader.GetInt64(at + 6),
        (byte[])reader.GetValue(at + 7));
}
