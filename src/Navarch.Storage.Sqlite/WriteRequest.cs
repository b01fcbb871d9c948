namespace Navarch.Storage.Sqlite;

/// <summary>What a queued write asks the writer loop to do.</summary>
internal enum WriteKind
{
    Create,
    Update,
    Delete,
    CompactStep,
    BumpRevision,
}

/// <summary>
/// One write waiting for the writer loop. The loop applies many in one transaction (group commit) and completes
/// each one's task after the commit, with either its result or its own error.
/// </summary>
internal sealed class WriteRequest(WriteKind kind, string key, byte[] value, long expectedModRevision, TimeSpan? ttl)
{
    private readonly TaskCompletionSource<object> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WriteKind Kind { get; } = kind;

    public string Key { get; } = key;

    public byte[] Value { get; } = value;

    /// <summary>For writes: the modRevision the key must have (0 = any). For compaction: the target revision. For a bump: the amount.</summary>
    public long Expected { get; } = expectedModRevision;

    public TimeSpan? Ttl { get; } = ttl;

    /// <summary>For compaction: the lowest revision this step looks at (0 = from the oldest row).</summary>
    public long Cursor { get; init; }

    /// <summary>Set when the request succeeded inside the current batch; published only if the batch commits.</summary>
    public object? Result { get; set; }

    public Task<object> Task => _done.Task;

    public void Complete() => _done.TrySetResult(Result!);

    public void Fail(Exception error) => _done.TrySetException(error);
}
