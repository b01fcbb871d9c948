namespace Navarch.Kubelet.Probes;

/// <summary>
/// Probes one container (one CRI container ID) periodically, as the kubelet's probe worker does: the first run right
/// away, then every period; nothing during initialDelaySeconds; liveness and readiness wait until the startup probe
/// has passed, and the startup probe stops once it has; results flip by <see cref="ProbeThreshold"/>. A liveness or
/// startup failure puts the worker on hold — the container is restarted, and its successor gets a new worker.
/// </summary>
internal sealed class ProbeWorker
{
    private readonly Lock _lock = new();
    private readonly ProbeThreshold _threshold;
    private readonly ProbeSettings _settings;
    private readonly DateTimeOffset _containerStarted;
    private readonly Func<CancellationToken, Task<ProbeOutcome>> _run;
    private readonly Func<bool> _started;
    private readonly Action<ProbeOutcome> _failed;
    private readonly Action _changed;
    private readonly TimeProvider _time;
    private bool _onHold;

    /// <param name="kind">Which probe.</param>
    /// <param name="settings">Its timing and thresholds.</param>
    /// <param name="containerStarted">When the container started (initialDelaySeconds counts from here).</param>
    /// <param name="run">Runs the probe once.</param>
    /// <param name="started">Whether the container's startup probe has passed (true when it has none).</param>
    /// <param name="failed">Told of every failed run (the Unhealthy event).</param>
    /// <param name="changed">Told when the published result changes.</param>
    /// <param name="time">The clock.</param>
    public ProbeWorker(ProbeKind kind, ProbeSettings settings, DateTimeOffset containerStarted, Func<CancellationToken, Task<ProbeOutcome>> run, Func<bool> started, Action<ProbeOutcome> failed, Action changed, TimeProvider time)
    {
        Kind = kind;
        _settings = settings;
        _threshold = new ProbeThreshold(kind, settings.SuccessThreshold, settings.FailureThreshold);
        _containerStarted = containerStarted;
        _run = run;
        _started = started;
        _failed = failed;
        _changed = changed;
        _time = time;
    }

    public ProbeKind Kind { get; }

    /// <summary>The published result.</summary>
    public ProbeResult Result
    {
        get
        {
            lock (_lock)
            {
                return _threshold.Result;
            }
        }
    }

    /// <summary>Probes until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                try
                {
                    await ProbeOnceAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // A probe that errors (rather than fails) is reported and its result thrown away, as the kubelet's
                    // worker does; the worker keeps probing.
                    _failed(ProbeOutcome.Failure($"probe errored: {e.Message}"));
                }

                await Task.Delay(_settings.Period, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One tick of the loop (doProbe).</summary>
    internal async Task ProbeOnceAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_onHold || (Kind == ProbeKind.Startup && _threshold.Result == ProbeResult.Success))
            {
                return;
            }
        }

        if (_time.GetUtcNow() - _containerStarted < _settings.InitialDelay)
        {
            return;
        }

        if (Kind != ProbeKind.Startup && !_started())
        {
            return;
        }

        ProbeOutcome outcome = await _run(cancellationToken).ConfigureAwait(false);
        if (outcome.Result == ProbeResult.Failure)
        {
            _failed(outcome);
        }

        bool changed;
        lock (_lock)
        {
            changed = _threshold.Record(outcome.Result);
            if (Kind != ProbeKind.Readiness && _threshold.Result == ProbeResult.Failure)
            {
                _onHold = true;
                _threshold.ResetRun();
            }
        }

        if (changed)
        {
            _changed();
        }
    }
}
