using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Navarch.Storage.Sqlite;

/// <summary>
/// Online snapshots of the SQLite store and their restore. A snapshot is SQLite's backup API run in one step: it
/// copies every page inside one read transaction, and in WAL mode a reader never blocks the writer, so the copy is
/// the database at one commit while the server keeps committing (measured in docs/benchmarks.md). It works from any
/// process on the same file (the CLI beside a running server) as from the open store.
/// </summary>
public static class SqliteSnapshot
{
    /// <summary>The first bytes of every SQLite database file.</summary>
    private static ReadOnlySpan<byte> Header => "SQLite format 3\0"u8;

    /// <summary>Snapshots the database file at <paramref name="databasePath"/> (a running server may be writing it).</summary>
    public static async Task SaveAsync(string databasePath, string snapshotPath, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(databasePath))
        {
            throw new FileNotFoundException($"no SQLite datastore at {databasePath}", databasePath);
        }

        // ReadWrite without Create: a reader of a WAL database needs the -shm file, which it may have to create.
        await using var source = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await BackupAsync(source, snapshotPath, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the database <paramref name="source"/> is open on into a new snapshot file.</summary>
    internal static Task BackupAsync(SqliteConnection source, string snapshotPath, CancellationToken cancellationToken) =>
        SnapshotFile.WriteAsync(snapshotPath, part => Task.Run(() =>
        {
            using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = part, Pooling = false }.ToString());
            destination.Open();
            source.BackupDatabase(destination);
            // The copied header says WAL; a snapshot is one self-contained file, so it goes back to a rollback journal.
            using SqliteCommand journal = destination.CreateCommand();
            journal.CommandText = "PRAGMA journal_mode = DELETE";
            journal.ExecuteNonQuery();
        }, cancellationToken));

    /// <summary>
    /// The current value of <paramref name="key"/> in a snapshot file, or null when the key is absent or deleted there;
    /// read-only, so the snapshot stays as it was (e.g. the bootstrap data read before a restore replaces anything).
    /// </summary>
    public static async Task<byte[]?> ReadValueAsync(string snapshotPath, string key, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateKey(key);
        ThrowIfNotSnapshot(snapshotPath);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = snapshotPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        Row? row = await SqliteStore.LatestAsync(connection, null, key, long.MaxValue, cancellationToken).ConfigureAwait(false);
        return row is null || row.Deleted ? null : row.Value;
    }

    /// <summary>
    /// Puts a snapshot in place of the (stopped) store at <paramref name="databasePath"/>: the current file is kept
    /// aside as <c>state.db.bak-&lt;unix time&gt;</c>, its -wal and -shm files are removed (their pages belong to the old
    /// file), and the snapshot is copied in 0600. Returns the path the old file was kept under, or null when there was none.
    /// </summary>
    public static async Task<string?> RestoreAsync(string snapshotPath, string databasePath, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(time);
        ThrowIfNotSnapshot(snapshotPath);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string? kept = null;
        if (File.Exists(databasePath))
        {
            // The old file with its WAL folded in, so what is kept aside is the whole old state.
            SqliteConnection.ClearAllPools();
            await using (var old = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            {
                await old.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using SqliteCommand checkpoint = old.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            kept = $"{databasePath}.bak-{time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
            File.Move(databasePath, kept, overwrite: false);
        }

        File.Delete(databasePath + "-wal");
        File.Delete(databasePath + "-shm");
        string part = databasePath + ".restore";
        File.Delete(part);
        await using (FileStream from = File.OpenRead(snapshotPath))
        await using (var to = new FileStream(part, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
            to.Flush(flushToDisk: true);
        }

        File.Move(part, databasePath, overwrite: false);
        return kept;
    }

    /// <summary>Whether the file starts with SQLite's header (an etcd snapshot, a bbolt file, does not).</summary>
    public static bool IsSnapshot(string path)
    {
        Span<byte> header = stackalloc byte[Header.Length];
        using FileStream file = File.OpenRead(path);
        return file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length && header.SequenceEqual(Header);
    }

    private static void ThrowIfNotSnapshot(string snapshotPath)
    {
        if (!File.Exists(snapshotPath))
        {
            throw new FileNotFoundException($"snapshot {snapshotPath} does not exist", snapshotPath);
        }

        if (!IsSnapshot(snapshotPath))
        {
            throw new InvalidDataException($"{snapshotPath} is not a SQLite snapshot");
        }
    }
}
