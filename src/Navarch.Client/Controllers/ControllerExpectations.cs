namespace Navarch.Client.Controllers;

/// <summary>
/// client-go's ControllerExpectations: after a controller asks for N creations (or deletions) it expects to see them
/// in its informer before it acts on that key again, so it never double-creates between an action and seeing its
/// effect. Expectations expire after 5 minutes in case an event was missed.
/// </summary>
public sealed class ControllerExpectations(TimeProvider time)
{
    /// <summary>client-go's ExpectationsTimeout.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (int Adds, int Deletes, DateTimeOffset Set)> _byKey = new(StringComparer.Ordinal);

    /// <summary>Expects <paramref name="count"/> creations for <paramref name="key"/>.</summary>
    public void ExpectCreations(string key, int count) => Set(key, count, 0);

    /// <summary>Expects <paramref name="count"/> deletions for <paramref name="key"/>.</summary>
    public void ExpectDeletions(string key, int count) => Set(key, 0, count);

    /// <summary>An informer saw one of the expected creations.</summary>
    public void CreationObserved(string key) => Lower(key, 1, 0);

    /// <summary>An informer saw one of the expected deletions.</summary>
    public void DeletionObserved(string key) => Lower(key, 0, 1);

    /// <summary>A create or delete call failed: it will never be observed.</summary>
    public void Lower(string key, int adds, int deletes)
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var e))
            {
                _byKey[key] = (e.Adds - adds, e.Deletes - deletes, e.Set);
            }
        }
    }

    /// <summary>True when the controller may act on <paramref name="key"/>: nothing pending, or the expectations expired.</summary>
    public bool SatisfiedExpectations(string key)
    {
        lock (_lock)
        {
            return !_byKey.TryGetValue(key, out var e) || (e.Adds <= 0 && e.Deletes <= 0) || time.GetUtcNow() - e.Set > Timeout;
        }
    }

    /// <summary>Forgets <paramref name="key"/> (its owner is gone).</summary>
    public void Delete(string key)
    {
        lock (_lock)
        {
            _byKey.Remove(key);
        }
    }

    private void Set(string key, int adds, int deletes)
    {
        lock (_lock)
        {
            _byKey[key] = (adds, deletes, time.GetUtcNow());
        }
    }
}
