namespace Navarch.Storage;

/// <summary>Why a storage operation failed. Callers map these to API status codes.</summary>
public enum StorageErrorCode
{
    /// <summary>The key does not exist (or did not at the requested revision). API: 404.</summary>
    KeyNotFound,

    /// <summary>Create found the key live already. API: 409 AlreadyExists.</summary>
    KeyExists,

    /// <summary>A compare-and-swap precondition did not hold; <see cref="StorageException.Current"/> has the live value. API: 409 Conflict.</summary>
    Conflict,

    /// <summary>The requested revision is below the compacted revision. API: 410 Gone.</summary>
    Compacted,

    /// <summary>The requested revision is above the current one. API: 504/500 "too large resource version".</summary>
    FutureRevision,

    /// <summary>The key is empty, does not start with '/', contains NUL, or is over <see cref="KeyRules.MaxKeyBytes"/>. API: 400.</summary>
    InvalidKey,

    /// <summary>The value is over <see cref="KeyRules.MaxValueBytes"/>. API: 413.</summary>
    ValueTooLarge,

    /// <summary>A continue token was not issued by this store. API: 400.</summary>
    InvalidContinue,

    /// <summary>A watcher fell too far behind and was ended; its client must re-list.</summary>
    WatcherTooSlow,

    /// <summary>The store is closed or its backend cannot be reached.</summary>
    Unavailable,

    /// <summary>A stored value cannot be read back, e.g. it does not decrypt with any configured key. API: 500 InternalError.</summary>
    Corrupt,
}
