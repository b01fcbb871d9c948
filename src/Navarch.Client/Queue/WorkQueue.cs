namespace Navarch.Client.Queue;

/// <summary>
/// A work queue with client-go's semantics. An item added many times while it waits is processed once (dirty set);
/// an item is never handed to two workers at once — one re-added while being processed waits until <see cref="Done"/>
/// (processing set); failures are retried through a rate limiter; delayed adds run on the <see cref="TimeProvider"/>.
/// Controllers' event handlers only <see cref="Add"/> keys; workers loop on <see cref="GetAsync"/> / <see cref="Done"/>.
/// </summary>
/// <typeparam name="T">The item type, usually a "namespace/name" key.</typeparam>
public sealed class WorkQueue<T> : IDisposable
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly Queue<TaskCompletionSource<bool>> _waiters = new();
    private readonly HashSet<ITimer> _timers = [];
    private readonly TimeProvider _time;
    private readonly IRateLimiter<T> _limiter;
    private readonly WorkQueueMetrics? _metrics;
    private readonly Dictionary<T, long> _addedAt = [];
    private readonly Dictionary<T, long> _takenAt = [];
    private TaskCompletionSource? _drained;
    private bool _shuttingDown;

    /// <summary>Creates a queue with client-go's default controller rate limiter unless another is given, recording into <paramref name="metrics"/> if given.</summary>
    public WorkQueue(TimeProvider? time = null, IRateLimiter<T>? rateLimiter = null, WorkQueueMetrics? metrics = null)
    {
        _time = time ?? TimeProvider.System;
        _limiter = rateLimiter ?? RateLimiters.DefaultController<T>(_time);
        _metrics = metrics;
    }

    /// <summary>Items waiting (not counting those being processed).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>True once <see cref="ShutDown"/> was called.</summary>
    public bool ShuttingDown
    {
        get
        {
            lock (_lock)
            {
                return _shuttingDown;
            }
        }
    }

    /// <summary>Marks <paramref name="item"/> as needing processing.</summary>
    public void Add(T item)
    {
        lock (_lock)
        {
            if (_shuttingDown || !_dirty.Add(item))
            {
                return;
            }

            // As client-go: counted when it becomes dirty, also while it is being processed (queued again at Done).
            if (_metrics is not null)
            {
                _metrics.Added();
                _addedAt.TryAdd(item, System.Diagnostics.Stopwatch.GetTimestamp());
            }

            if (_processing.Contains(item))
            {
                return;
            }

            Enqueue(item);
        }
    }

    /// <summary>Adds <paramref name="item"/> after <paramref name="delay"/>.</summary>
    public void AddAfter(T item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }

        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            ITimer? timer = null;
            timer = _time.CreateTimer(
                _ =>
                {
                    lock (_lock)
                    {
                        _timers.Remove(timer!);
                    }

                    timer!.Dispose();
                    Add(item);
                },
                null,
                delay,
                Timeout.InfiniteTimeSpan);
            _timers.Add(timer);
        }
    }

    /// <summary>Adds <paramref name="item"/> after the rate limiter's delay for it (a failure is counted).</summary>
    public void AddRateLimited(T item)
    {
        _metrics?.Retried();
        AddAfter(item, _limiter.When(item));
    }

    /// <summary>Forgets the failures of <paramref name="item"/>; call when it was processed successfully.</summary>
    public void Forget(T item) => _limiter.Forget(item);

    /// <summary>How many times <paramref name="item"/> was re-added through <see cref="AddRateLimited"/> since it was forgotten.</summary>
    public int NumRequeues(T item) => _limiter.NumRequeues(item);

    /// <summary>
    /// Waits for an item and marks it as being processed; returns <c>(default, true)</c> once the queue is shut down
    /// and empty. Every item returned must be given back with <see cref="Done"/>.
    /// </summary>
    public async Task<(T? Item, bool ShutDown)> GetAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TaskCompletionSource<bool> waiter;
            lock (_lock)
            {
                if (_queue.TryDequeue(out T? item))
                {
                    _processing.Add(item);
                    _dirty.Remove(item);
                    if (_metrics is not null && _addedAt.Remove(item, out long addedAt))
                    {
                        _metrics.Taken(addedAt);
                        _takenAt[item] = System.Diagnostics.Stopwatch.GetTimestamp();
                    }

                    return (item, false);
                }

                if (_shuttingDown)
                {
                    return (default, true);
                }

                waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Enqueue(waiter);
            }

            await using (cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)))
            {
                await waiter.Task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Ends the processing of <paramref name="item"/>; if it was added meanwhile, it is queued again.</summary>
    public void Done(T item)
    {
        lock (_lock)
        {
            _processing.Remove(item);
            if (_metrics is not null && _takenAt.Remove(item, out long takenAt))
            {
                _metrics.Done(takenAt);
            }

            if (_dirty.Contains(item))
            {
                Enqueue(item);
            }
            else if (_processing.Count == 0)
            {
                _drained?.TrySetResult();
            }
        }
    }

    /// <summary>Stops accepting items; workers get what is queued, then the shut-down signal.</summary>
    public void ShutDown()
    {
        lock (_lock)
        {
            _shuttingDown = true;
            foreach (ITimer timer in _timers)
            {
                timer.Dispose();
            }

            _timers.Clear();
            while (_waiters.TryDequeue(out TaskCompletionSource<bool>? waiter))
            {
                waiter.TrySetResult(true);
            }
        }
    }

    /// <summary>Shuts down and waits until every item being processed is <see cref="Done"/>.</summary>
    public Task ShutDownWithDrainAsync(CancellationToken cancellationToken = default)
    {
        Task drained;
        lock (_lock)
        {
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_processing.Count == 0)
            {
                _drained.TrySetResult();
            }

            drained = _drained.Task;
        }

        ShutDown();
        return drained.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => ShutDown();

    private void Enqueue(T item)
    {
        _queue.Enqueue(item);
        while (_waiters.TryDequeue(out TaskCompletionSource<bool>? waiter))
        {
            if (waiter.TrySetResult(true))
            {
                break;
            }
        }
    }
}
