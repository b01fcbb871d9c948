using System.Collections.Concurrent;

namespace Navarch.Scheduler.Framework;

/// <summary>
/// Data plugins compute once per scheduling cycle (in PreFilter or PreScore) and read on every node. Writes happen in
/// the sequential points; Filter and Score read it from many threads.
/// </summary>
internal sealed class CycleState
{
    private readonly ConcurrentDictionary<string, object> _data = new(StringComparer.Ordinal);

    /// <summary>Plugins whose PreFilter said Skip: their Filter is not run.</summary>
    public HashSet<string> SkipFilterPlugins { get; } = new(StringComparer.Ordinal);

    /// <summary>Plugins whose PreScore said Skip: their Score is not run.</summary>
    public HashSet<string> SkipScorePlugins { get; } = new(StringComparer.Ordinal);

    public void Write(string key, object value) => _data[key] = value;

    public T? Read<T>(string key)
        where T : class => _data.TryGetValue(key, out object? v) ? v as T : null;

    /// <summary>A copy for a what-if (preemption), sharing the values, which plugins treat as immutable.</summary>
    public CycleState Clone()
    {
        var copy = new CycleState();
        foreach (KeyValuePair<string, object> kv in _data)
        {
            copy._data[kv.Key] = kv.Value;
        }

        copy.SkipFilterPlugins.UnionWith(SkipFilterPlugins);
        copy.SkipScorePlugins.UnionWith(SkipScorePlugins);
        return copy;
    }
}
