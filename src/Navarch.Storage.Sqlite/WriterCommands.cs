using Microsoft.Data.Sqlite;

namespace Navarch.Storage.Sqlite;

/// <summary>
/// The writer loop's statements, prepared once and reused for every write: building and preparing a command per
/// write costs more than the write itself.
/// </summary>
internal sealed class WriterCommands : IDisposable
{
    private readonly SqliteCommand _latest;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _setMeta;

    public WriterCommands(SqliteConnection connection)
    {
        _latest = Create(connection, $"SELECT {Schema.Columns} FROM kv WHERE key = $key ORDER BY rev DESC LIMIT 1", "$key");
        _insert = Create(connection, """
            INSERT INTO kv (rev, key, deleted, create_rev, prev_rev, version, lease, value)
            VALUES ($rev, $key, $deleted, $create, $prev, $version, $lease, $value)
            """, "$rev", "$key", "$deleted", "$create", "$prev", "$version", "$lease", "$value");
        _setMeta = Create(connection, "UPDATE meta SET value = $value WHERE name = $name", "$name", "$value");
    }

    /// <summary>Points every statement at the batch's transaction.</summary>
    public void Use(SqliteTransaction tx) => _latest.Transaction = _insert.Transaction = _setMeta.Transaction = tx;

    public Row? Latest(string key)
    {
        _latest.Parameters[0].Value = key;
        using SqliteDataReader reader = _latest.ExecuteReader();
        return reader.Read() ? Row.Read(reader) : null;
    }

    public void Insert(Row row)
    {
        SqliteParameterCollection p = _insert.Parameters;
        p[0].Value = row.Rev;
        p[1].Value = row.Key;
        p[2].Value = row.Deleted ? 1 : 0;
        p[3].Value = row.CreateRev;
        p[4].Value = row.PrevRev;
        p[5].Value = row.Version;
        p[6].Value = row.Lease;
        p[7].Value = row.Value;
        _insert.ExecuteNonQuery();
    }

    public void SetMeta(string name, long value)
    {
        _setMeta.Parameters[0].Value = name;
        _setMeta.Parameters[1].Value = value;
        _setMeta.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _latest.Dispose();
        _insert.Dispose();
        _setMeta.Dispose();
    }

    private static SqliteCommand Create(SqliteConnection connection, string sql, params string[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
#pragma warning disable CA2100 // Constant statements; values always go through parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (string name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }
}
