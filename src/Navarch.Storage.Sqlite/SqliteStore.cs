using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Navarch.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so an acknowledged write survives
/// a crash. One writer loop commits queued writes in shared transactions (group commit) and feeds watchers in
/// process as it commits; reads use their own pooled connections, each in a snapshot transaction.
/// </summary>
public sealed partial class SqliteStore : IStore
{
    private readonly SqliteStoreOptions _options;
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Channel<WriteRequest> _queue = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly WatchHub _hub;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writerLoop;
    private readonly Task _leaseSweeper;
    private long _revision;
    private long _compacted;
    private int _disposed;

    private SqliteStore(SqliteStoreOptions options, string connectionString, SqliteConnection writer, long revision, long compacted)
    {
        _options = options;
        _connectionString = connectionString;
        _writer = writer;
        _revision = revision;
        _compacted = compacted;
        _hub = new WatchHub(revision);
        _logger = options.LoggerFactory?.CreateLogger<SqliteStore>() ?? NullLogger<SqliteStore>.Instance;
        _writerLoop = Task.Run(WriteLoopAsync);
        _leaseSweeper = Task.Run(() => SweepLeasesAsync(_stop.Token));
    }

    /// <inheritdoc />
    public string Backend => "sqlite";

    /// <summary>Opens (creating when needed) the store at <see cref="SqliteStoreOptions.Path"/>.</summary>
    public static async Task<SqliteStore> OpenAsync(SqliteStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // The file holds every object, Secrets included: created 0600, which SQLite copies to its -wal and -shm files.
        if (!File.Exists(options.Path))
        {
            new FileStream(options.Path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }).Dispose();
        }

        string connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        var writer = new SqliteConnection(connectionString);
        try
        {
            await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
            // journal_size_limit truncates the WAL file after each checkpoint that resets it, so it stays bounded.
            await ExecuteAsync(writer, """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA wal_autocheckpoint = 1000;
                PRAGMA journal_size_limit = 67108864;
                PRAGMA busy_timeout = 30000;
                """, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(writer, Schema.Create, cancellationToken).ConfigureAwait(false);
            long revision = await ReadMetaAsync(writer, null, "current_rev", cancellationToken).ConfigureAwait(false);
            long compacted = await ReadMetaAsync(writer, null, "compact_rev", cancellationToken).ConfigureAwait(false);
            return new SqliteStore(options, connectionString, writer, revision, compacted);
        }
        catch
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed("/");
        return Task.FromResult(Volatile.Read(ref _revision));
    }

    /// <inheritdoc />
    public Task<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed("/");
        return Task.FromResult(Volatile.Read(ref _compacted));
    }

    /// <inheritdoc />
    public async Task<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateKey(key);
        ThrowIfDisposed(key);
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteTransaction tx = connection.BeginTransaction(deferred: true);
        long at = await PinRevisionAsync(connection, tx, key, revision, cancellationToken).ConfigureAwait(false);
        Row? row = await LatestAsync(connection, tx, key, at, cancellationToken).ConfigureAwait(false);
        return row is null || row.Deleted ? null : row.ToKeyValue();
    }

    /// <inheritdoc />
    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidatePrefix(prefix);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfDisposed(prefix);
        ContinueToken? token = options.Continue is null ? null : ContinueToken.Decode(prefix, options.Continue);

        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteTransaction tx = connection.BeginTransaction(deferred: true);
        long at = await PinRevisionAsync(connection, tx, prefix, token?.Revision ?? options.Revision, cancellationToken).ConfigureAwait(false);
        string after = token?.StartAfter ?? "";
        long limit = options.Limit > 0 ? options.Limit : -1;

        var items = new List<KeyValue>();
        await using (SqliteCommand select = Command(connection, tx, $"""
            SELECT {Schema.Columns} FROM kv
            JOIN (SELECT key AS k, MAX(rev) AS r FROM kv WHERE key >= $lo AND key < $hi AND key > $after AND rev <= $at GROUP BY key) latest
              ON kv.rev = latest.r
            WHERE kv.deleted = 0
            ORDER BY kv.key
            LIMIT $limit
            """))
        {
            AddRange(select, prefix, after, at);
            select.Parameters.AddWithValue("$limit", limit < 0 ? -1 : limit + 1);
            await using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(Row.Read(reader).ToKeyValue());
            }
        }

        if (limit < 0 || items.Count <= limit)
        {
            return new ListResult(items, at, null, null);
        }

        items.RemoveAt(items.Count - 1);
        string last = items[^1].Key;
        long remaining = await CountLiveAsync(connection, tx, prefix, last, at, cancellationToken).ConfigureAwait(false);
        return new ListResult(items, at, new ContinueToken(at, last).Encode(), remaining);
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(string prefix, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidatePrefix(prefix);
        ThrowIfDisposed(prefix);
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteTransaction tx = connection.BeginTransaction(deferred: true);
        long at = await ReadMetaAsync(connection, tx, "current_rev", cancellationToken).ConfigureAwait(false);
        return await CountLiveAsync(connection, tx, prefix, "", at, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<KeyValue> CreateAsync(string key, byte[] value, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateWrite(key, value);
        ValidateTtl(key, options);
        return (KeyValue)await EnqueueAsync(new WriteRequest(WriteKind.Create, key, value, 0, options?.Ttl)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<KeyValue> UpdateAsync(string key, byte[] value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateWrite(key, value);
        ValidateTtl(key, options);
        return (KeyValue)await EnqueueAsync(new WriteRequest(WriteKind.Update, key, value, expectedModRevision, options?.Ttl)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DeleteResult> DeleteAsync(string key, long expectedModRevision = 0, CancellationToken cancellationToken = default)
    {
        KeyRules.ValidateKey(key);
        return (DeleteResult)await EnqueueAsync(new WriteRequest(WriteKind.Delete, key, [], expectedModRevision, null)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed("/");
        long current = Volatile.Read(ref _revision);
        if (revision > current)
        {
            throw StorageException.Future("/", revision, current);
        }

        if (revision <= Volatile.Read(ref _compacted))
        {
            return;
        }

        // Each step sweeps one window of revisions in its own short transaction, queued between ordinary writes.
        long cursor = 0;
        while (cursor < revision)
        {
            cancellationToken.ThrowIfCancellationRequested();
            cursor = (long)await EnqueueAsync(new WriteRequest(WriteKind.CompactStep, "/", [], revision, null) { Cursor = cursor }).ConfigureAwait(false);
        }

        LogCompacted(_logger, revision);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _writerLoop.ConfigureAwait(false);
        try
        {
            await _leaseSweeper.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _hub.CloseAll(Closed("/"));
        await _writer.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        _stop.Dispose();
    }

    private Task<object> EnqueueAsync(WriteRequest request)
    {
        ThrowIfDisposed(request.Key);
        if (!_queue.Writer.TryWrite(request))
        {
            throw Closed(request.Key);
        }

        return request.Task;
    }

    private static void ValidateTtl(string key, WriteOptions? options)
    {
        if (options?.Ttl is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new StorageException(StorageErrorCode.InvalidKey, key, $"ttl must be positive, got {ttl}");
        }
    }

    private void ThrowIfDisposed(string key)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw Closed(key);
        }
    }

    private static StorageException Closed(string key) => new(StorageErrorCode.Unavailable, key, "the store is closed");

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// The revision a read happens at, checked against the compacted and current revisions inside the read's own
    /// snapshot, so a concurrent compaction cannot slip between the check and the read.
    /// </summary>
    private static async Task<long> PinRevisionAsync(SqliteConnection connection, SqliteTransaction tx, string key, long requested, CancellationToken cancellationToken)
    {
        long current = await ReadMetaAsync(connection, tx, "current_rev", cancellationToken).ConfigureAwait(false);
        if (requested <= 0)
        {
            return current;
        }

        if (requested > current)
        {
            throw StorageException.Future(key, requested, current);
        }

        long compacted = await ReadMetaAsync(connection, tx, "compact_rev", cancellationToken).ConfigureAwait(false);
        if (requested < compacted)
        {
            throw StorageException.CompactedAt(key, requested, compacted);
        }

        return requested;
    }

    internal static async Task<Row?> LatestAsync(SqliteConnection connection, SqliteTransaction? tx, string key, long atOrBelow, CancellationToken cancellationToken)
    {
        await using SqliteCommand select = Command(connection, tx, $"SELECT {Schema.Columns} FROM kv WHERE key = $key AND rev <= $at ORDER BY rev DESC LIMIT 1");
        select.Parameters.AddWithValue("$key", key);
        select.Parameters.AddWithValue("$at", atOrBelow);
        await using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Row.Read(reader) : null;
    }

    private static async Task<long> CountLiveAsync(SqliteConnection connection, SqliteTransaction tx, string prefix, string after, long at, CancellationToken cancellationToken)
    {
        await using SqliteCommand count = Command(connection, tx, """
            SELECT COUNT(*) FROM kv
            JOIN (SELECT MAX(rev) AS r FROM kv WHERE key >= $lo AND key < $hi AND key > $after AND rev <= $at GROUP BY key) latest
              ON kv.rev = latest.r
            WHERE kv.deleted = 0
            """);
        AddRange(count, prefix, after, at);
        return (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static void AddRange(SqliteCommand command, string prefix, string after, long at)
    {
        command.Parameters.AddWithValue("$lo", prefix);
        command.Parameters.AddWithValue("$hi", PrefixEnd(prefix));
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$at", at);
    }

    /// <summary>The smallest string greater than every string starting with <paramref name="prefix"/> (keys start with '/').</summary>
    internal static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    private static async Task<long> ReadMetaAsync(SqliteConnection connection, SqliteTransaction? tx, string name, CancellationToken cancellationToken)
    {
        await using SqliteCommand select = Command(connection, tx, "SELECT value FROM meta WHERE name = $name");
        select.Parameters.AddWithValue("$name", name);
        return (long)(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = tx;
#pragma warning disable CA2100 // Every statement is a constant of this class; values always go through parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        return command;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = Command(connection, null, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
