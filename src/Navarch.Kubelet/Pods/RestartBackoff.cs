namespace Navarch.Kubelet.Pods;

/// <summary>
/// The kubelet's container restart back-off (client-go flowcontrol.Backoff, 10 s doubling to 5 min, per container):
/// the first exit restarts at once and arms 10 s; an exit within the armed delay waits it out (CrashLoopBackOff) and
/// then doubles it; a container that stayed up for twice the maximum (10 minutes) starts again from 10 s.
/// </summary>
internal sealed class RestartBackoff(TimeProvider time, TimeSpan initial, TimeSpan max)
{
    private readonly Dictionary<string, (TimeSpan Delay, DateTimeOffset LastUpdate)> _entries = new(StringComparer.Ordinal);

    public static RestartBackoff Default(TimeProvider time) => new(time, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5));

    /// <summary>The delay armed for <paramref name="key"/> (zero when none).</summary>
    public TimeSpan Get(string key) => _entries.TryGetValue(key, out var e) ? e.Delay : TimeSpan.Zero;

    /// <summary>Whether a restart of a container that exited at <paramref name="exitedAt"/> must still wait.</summary>
    public bool IsInBackOffSince(string key, DateTimeOffset exitedAt)
    {
        if (!_entries.TryGetValue(key, out var e) || Expired(exitedAt, e.LastUpdate))
        {
            return false;
        }

        return time.GetUtcNow() - exitedAt < e.Delay;
    }

    /// <summary>Records a restart of a container that exited at <paramref name="exitedAt"/>: arms or doubles the delay.</summary>
    public void Next(string key, DateTimeOffset exitedAt)
    {
        TimeSpan delay = !_entries.TryGetValue(key, out var e) || Expired(exitedAt, e.LastUpdate)
            ? initial
            : TimeSpan.FromTicks(Math.Min(e.Delay.Ticks * 2, max.Ticks));
        _entries[key] = (delay, time.GetUtcNow());
    }

    private bool Expired(DateTimeOffset eventTime, DateTimeOffset lastUpdate) => eventTime - lastUpdate > 2 * max;
}
