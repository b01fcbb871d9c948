namespace Navarch.Storage;

/// <summary>A storage operation failed for a reason a caller can act on (see <see cref="Code"/>).</summary>
public sealed class StorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StorageException(StorageErrorCode code, string key, string message, KeyValue? current = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Key = key;
        Current = current;
    }

    /// <summary>Why the operation failed.</summary>
    public StorageErrorCode Code { get; }

    /// <summary>The key the operation was about (the prefix for lists and watches).</summary>
    public string Key { get; }

    /// <summary>For <see cref="StorageErrorCode.Conflict"/>: the live version, or null when the key is gone.</summary>
    public KeyValue? Current { get; }

    /// <summary>Shorthand for the common not-found case.</summary>
    public static StorageException NotFound(string key) =>
        new(StorageErrorCode.KeyNotFound, key, $"key not found: {key}");

    /// <summary>Shorthand for create-on-a-live-key.</summary>
    public static StorageException Exists(string key) =>
        new(StorageErrorCode.KeyExists, key, $"key already exists: {key}");

    /// <summary>Shorthand for a failed compare-and-swap.</summary>
    public static StorageException Conflicted(string key, KeyValue? current) =>
        new(StorageErrorCode.Conflict, key, $"modRevision mismatch for key {key}", current);

    /// <summary>Shorthand for a read or watch below the compacted revision.</summary>
    public static StorageException CompactedAt(string key, long requested, long compacted) =>
        new(StorageErrorCode.Compacted, key, $"required revision {requested} has been compacted (compacted revision {compacted})");

    /// <summary>Shorthand for a read above the current revision.</summary>
    public static StorageException Future(string key, long requested, long current) =>
        new(StorageErrorCode.FutureRevision, key, $"required revision {requested} is a future revision (current revision {current})");
}
