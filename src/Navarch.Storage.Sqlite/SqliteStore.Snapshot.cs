using Microsoft.Data.Sqlite;

namespace Navarch.Storage.Sqlite;

public sealed partial class SqliteStore : ISnapshotSource
{
    /// <inheritdoc />
    public async Task SaveSnapshotAsync(string path, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed("/");
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await SqliteSnapshot.BackupAsync(connection, path, cancellationToken).ConfigureAwait(false);
    }
}
