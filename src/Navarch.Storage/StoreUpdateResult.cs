namespace Navarch.Storage;

/// <summary>How a guaranteed update ended.</summary>
/// <param name="Kind">What was done: nothing, a write, or a delete.</param>
/// <param name="Current">The version written; for a delete the last version before it; when nothing was done the version read (null when the key does not exist).</param>
/// <param name="Revision">The revision of the write or delete; when nothing was done the modRevision read (0 when none).</param>
public sealed record StoreUpdateResult(StoreUpdateKind Kind, KeyValue? Current, long Revision);
