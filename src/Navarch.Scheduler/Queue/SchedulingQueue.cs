using k8s.Models;

namespace Navarch.Scheduler.Queue;

/// <summary>
/// kube-scheduler's three-part queue. activeQ holds pods ready to try, highest priority first, then oldest; the
/// back-off queue holds pods that failed, each waiting 1 s doubling per attempt up to 10 s; pods found unschedulable
/// are parked until a cluster event that could help (a node added or changed, a pod deleted) moves them back, with a
/// periodic flush after <see cref="ParkedLimit"/> as a safety net. If such an event arrives while a pod is being
/// tried, its failure sends it to back-off rather than parking, so the event is not missed.
/// </summary>
internal sealed class SchedulingQueue : IDisposable
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan ParkedLimit = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly PriorityQueue<QueuedPod, (int NegPriority, long Sequence)> _active = new();
    private readonly Dictionary<string, QueuedPod> _activeKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPod> _backoff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPod> _parked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPod> _inFlight = new(StringComparer.Ordinal);
    private readonly Queue<TaskCompletionSource<QueuedPod?>> _waiters = new();
    private readonly ITimer _flush;
    private long _sequence;
    private long _cycle;
    private long _moveRequestCycle = -1;
    private bool _closed;

    public SchedulingQueue(TimeProvider time)
    {
        _time = time;
        _flush = time.CreateTimer(_ => Flush(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public int ActiveCount { get { lock (_lock) { return _activeKeys.Count; } } }

    public int BackoffCount { get { lock (_lock) { return _backoff.Count; } } }

    public int ParkedCount { get { lock (_lock) { return _parked.Count; } } }

    /// <summary>A new pending pod, or a change to one: a changed parked pod is worth another try.</summary>
    public void AddOrUpdate(V1Pod pod, int priority)
    {
        string key = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        lock (_lock)
        {
            if (_activeKeys.TryGetValue(key, out QueuedPod? a))
            {
                a.Pod = pod;
                return;
            }

            if (_inFlight.TryGetValue(key, out QueuedPod? f))
            {
                f.Pod = pod;
                return;
            }

            if (_backoff.TryGetValue(key, out QueuedPod? b))
            {
                b.Pod = pod;
                b.Priority = priority;
                return;
            }

            if (_parked.TryGetValue(key, out QueuedPod? p))
            {
                // Only a change to what scheduling reads is worth a retry; the scheduler's own status writes are not.
                bool changed = !SchedulingInputsEqual(p.Pod, pod);
                p.Pod = pod;
                p.Priority = priority;
                if (changed)
                {
                    _parked.Remove(key);
                    Requeue(p);
                }

                return;
            }

            PushActive(new QueuedPod(pod, priority, _sequence++));
        }
    }

    public void Delete(string key)
    {
        lock (_lock)
        {
            if (_activeKeys.Remove(key, out QueuedPod? a))
            {
                // PriorityQueue has no removal by key; a popped pod no longer in _activeKeys is skipped.
                a.Sequence = -1;
            }

            _backoff.Remove(key);
            _parked.Remove(key);
        }
    }

    /// <summary>Waits for the next pod to try; null once closed.</summary>
    public Task<QueuedPod?> PopAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (TryPopActive() is { } pod)
            {
                return Task.FromResult<QueuedPod?>(pod);
            }

            if (_closed)
            {
                return Task.FromResult<QueuedPod?>(null);
            }

            var waiter = new TaskCompletionSource<QueuedPod?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            return waiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The current scheduling cycle's number (taken when a pod is popped).</summary>
    public long Cycle { get { lock (_lock) { return _cycle; } } }

    /// <summary>The attempt finished with the pod bound (or gone).</summary>
    public void Done(string key)
    {
        lock (_lock)
        {
            _inFlight.Remove(key);
        }
    }

    /// <summary>
    /// The attempt failed. Unschedulable pods are parked unless a move request came during their cycle; errors back
    /// off.
    /// </summary>
    public void Failed(QueuedPod pod, bool unschedulable, long podCycle)
    {
        lock (_lock)
        {
            if (!_inFlight.Remove(pod.Key) || _closed)
            {
                return; // deleted while being tried
            }

            pod.Attempts++;
            pod.LastFailure = _time.GetUtcNow();
            if (unschedulable && _moveRequestCycle < podCycle)
            {
                pod.ParkedAt = pod.LastFailure;
                _parked[pod.Key] = pod;
            }
            else
            {
                _backoff[pod.Key] = pod;
            }
        }
    }

    /// <summary>A cluster event that could make parked pods schedulable: give them all another try.</summary>
    public void MoveAllToActiveOrBackoff()
    {
        lock (_lock)
        {
            foreach (QueuedPod p in _parked.Values.ToList())
            {
                _parked.Remove(p.Key);
                Requeue(p);
            }

            _moveRequestCycle = _cycle;
        }
    }

    public static TimeSpan BackoffFor(int attempts)
    {
        if (attempts <= 0)
        {
            return TimeSpan.Zero;
        }

        double seconds = InitialBackoff.TotalSeconds * Math.Pow(2, Math.Min(attempts - 1, 10));
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxBackoff.TotalSeconds));
    }

    /// <summary>Moves pods whose back-off ended to activeQ, and pods parked too long back too.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            foreach (QueuedPod p in _backoff.Values.Where(p => p.LastFailure + BackoffFor(p.Attempts) <= now).ToList())
            {
                _backoff.Remove(p.Key);
                PushActive(p);
            }

            foreach (QueuedPod p in _parked.Values.Where(p => now - p.ParkedAt >= ParkedLimit).ToList())
            {
                _parked.Remove(p.Key);
                Requeue(p);
            }
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            while (_waiters.TryDequeue(out TaskCompletionSource<QueuedPod?>? w))
            {
                w.TrySetResult(null);
            }
        }
    }

    public void Dispose()
    {
        Close();
        _flush.Dispose();
    }

    private static bool SchedulingInputsEqual(V1Pod a, V1Pod b) =>
        Json(a.Spec) == Json(b.Spec) && Json(a.Metadata.Labels) == Json(b.Metadata.Labels);

    private static string Json(object? o) => o is null ? "" : k8s.KubernetesJson.Serialize(o);

    private void Requeue(QueuedPod p)
    {
        if (p.LastFailure + BackoffFor(p.Attempts) > _time.GetUtcNow())
        {
            _backoff[p.Key] = p;
        }
        else
        {
            PushActive(p);
        }
    }

    private void PushActive(QueuedPod p)
    {
        while (_waiters.TryDequeue(out TaskCompletionSource<QueuedPod?>? w))
        {
            _inFlight[p.Key] = p;
            _cycle++;
            if (w.TrySetResult(p))
            {
                return;
            }

            _inFlight.Remove(p.Key);
            _cycle--;
        }

        if (p.Sequence < 0)
        {
            p.Sequence = _sequence++;
        }

        _activeKeys[p.Key] = p;
        _active.Enqueue(p, (-p.Priority, p.Sequence));
    }

    private QueuedPod? TryPopActive()
    {
        while (_active.TryDequeue(out QueuedPod? p, out _))
        {
            if (_activeKeys.TryGetValue(p.Key, out QueuedPod? current) && ReferenceEquals(current, p))
            {
                _activeKeys.Remove(p.Key);
                _inFlight[p.Key] = p;
                _cycle++;
                return p;
            }
        }

        return null;
    }
}
