namespace Navarch.Storage;

/// <summary>One page of a prefix listing.</summary>
/// <param name="Items">Live keys in key order.</param>
/// <param name="Revision">The revision the whole listing (every page of it) is consistent at.</param>
/// <param name="Continue">An opaque token for the next page, or null when this is the last page.</param>
/// <param name="RemainingCount">How many keys remain after this page, when known.</param>
public sealed record ListResult(IReadOnlyList<KeyValue> Items, long Revision, string? Continue, long? RemainingCount);

/// <summary>How to list a prefix.</summary>
/// <param name="Limit">At most this many items per page; 0 means no limit.</param>
/// <param name="Continue">The token of the previous page; when set, the revision comes from it.</param>
/// <param name="Revision">Read at this revision (0 = the current one). Ignored when <paramref name="Continue"/> is set.</param>
public sealed record ListOptions(long Limit = 0, string? Continue = null, long Revision = 0);
