namespace Navarch.Storage;

/// <summary>The kind of change a <see cref="WatchEvent"/> reports.</summary>
public enum WatchEventType
{
    /// <summary>The key was created or updated; <see cref="WatchEvent.Kv"/> is the new version.</summary>
    Put,

    /// <summary>The key was deleted (explicitly or by lease expiry); <see cref="WatchEvent.PrevKv"/> is the last version.</summary>
    Delete,
}

/// <summary>One committed change under a watched prefix.</summary>
/// <param name="Type">Put or Delete.</param>
/// <param name="Revision">The store revision of this change.</param>
/// <param name="Kv">For a put, the new version. For a delete, the key with an empty value at <paramref name="Revision"/>.</param>
/// <param name="PrevKv">The version before this change: null for a create, set for updates and deletes.</param>
public sealed record WatchEvent(WatchEventType Type, long Revision, KeyValue Kv, KeyValue? PrevKv)
{
    /// <summary>True when this put created the key (no previous version).</summary>
    public bool IsCreate => Type == WatchEventType.Put && Kv.Version == 1;
}
