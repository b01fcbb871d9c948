namespace Navarch.Storage;

/// <summary>
/// One version of one key, as etcd reports it: the value plus the revisions that describe its history.
/// </summary>
/// <param name="Key">The full key, e.g. <c>/registry/pods/default/web-0</c>.</param>
/// <param name="Value">The stored bytes.</param>
/// <param name="CreateRevision">The store revision at which this key was last created.</param>
/// <param name="ModRevision">The store revision of the change that wrote this version.</param>
/// <param name="Version">How many times the key has been written since it was created (1 on create).</param>
/// <param name="Lease">The lease the key is attached to, or 0 for none.</param>
public sealed record KeyValue(string Key, byte[] Value, long CreateRevision, long ModRevision, long Version, long Lease = 0);
