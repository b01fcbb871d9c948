using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Proxy.Host;
using Navarch.Proxy.Iptables;
using Navarch.Proxy.Rules;

namespace Navarch.Proxy;

/// <summary>
/// kube-proxy's iptables proxier: Service and EndpointSlice changes mark the state dirty; a single loop syncs at most
/// once per <see cref="ProxyOptions.MinSyncInterval"/> (a burst of changes becomes one sync) and at least once per
/// <see cref="ProxyOptions.SyncPeriod"/>, each sync computing the complete ruleset from the caches and writing what
/// differs from the last write; every <see cref="ProxyOptions.FullSyncPeriod"/> (and after a failure) it writes all.
/// </summary>
internal sealed partial class Proxier : IDisposable
{
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly ProxyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _dirty = new(0, 1);
    private readonly ProxyMetrics? _metrics;
    private long _syncs;

    public Proxier(SharedInformerFactory informers, CommandRunner runner, ProxyOptions options, TimeProvider time, ILogger logger, ProxyMetrics? metrics = null)
    {
        _metrics = metrics;
        _services = informers.Get<V1Service>();
        _slices = informers.Get<V1EndpointSlice>();
        _options = options;
        _time = time;
        _logger = logger;
        Applier = new RulesApplier(runner, options);
        _services.AddHandler(new ResourceEventHandler<V1Service>(_ => MarkDirty()));
        _slices.AddHandler(new ResourceEventHandler<V1EndpointSlice>(_ => MarkDirty()));
    }

    /// <summary>The iptables side.</summary>
    public RulesApplier Applier { get; }

    /// <summary>How many syncs wrote rules.</summary>
    public long AppliedSyncs => Interlocked.Read(ref _syncs);

    /// <summary>Syncs until cancelled; the caches must be running.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await _services.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        await _slices.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset nextFull = _time.GetUtcNow();
        DateTimeOffset nextPeriodic = nextFull;
        DateTimeOffset lastSync = DateTimeOffset.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                TimeSpan untilPeriodic = (nextPeriodic < nextFull ? nextPeriodic : nextFull) - _time.GetUtcNow();
                if (untilPeriodic > TimeSpan.Zero)
                {
                    using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    Task timer = Task.Delay(untilPeriodic, _time, wake.Token);
                    await Task.WhenAny(_dirty.WaitAsync(wake.Token), timer).ConfigureAwait(false);
                    await wake.CancelAsync().ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                TimeSpan sinceLast = _time.GetUtcNow() - lastSync;
                if (sinceLast < _options.MinSyncInterval)
                {
                    await Task.Delay(_options.MinSyncInterval - sinceLast, _time, cancellationToken).ConfigureAwait(false);
                }

                // Changes that came while waiting are in this sync.
                _dirty.Wait(0, CancellationToken.None);
                lastSync = _time.GetUtcNow();
                bool full = lastSync >= nextFull;
                if (full)
                {
                    nextFull = lastSync + _options.FullSyncPeriod;
                }

                nextPeriodic = lastSync + _options.SyncPeriod;
                await SyncAsync(full, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Any failure, not only iptables': the rules are synced again, never abandoned.
                LogSyncFailed(_logger, e.Message);
                MarkDirty();
            }
        }
    }

    /// <summary>One sync from the caches.</summary>
    public async Task SyncAsync(bool full, CancellationToken cancellationToken)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        List<ServicePortEndpoints> ports = ServiceModel.Build(_services.Store.List(), _slices.Store.List(), _options.NodeName);
        SyncResult result = await Applier.ApplyAsync(ports, full, cancellationToken).ConfigureAwait(false);
        _metrics?.Synced(System.Diagnostics.Stopwatch.GetElapsedTime(start), _time.GetUtcNow());
        if (result.Applied)
        {
            Interlocked.Increment(ref _syncs);
            LogSynced(_logger, ports.Count, result.Bytes, result.Generate.TotalMilliseconds, result.Restore.TotalMilliseconds);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _dirty.Dispose();

    private void MarkDirty()
    {
        try
        {
            _dirty.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy sync failed, will retry: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Proxy rules for {Ports} service ports written ({Bytes} bytes, generated in {GenerateMs:F1} ms, restored in {RestoreMs:F1} ms)")]
    private static partial void LogSynced(ILogger logger, int ports, int bytes, double generateMs, double restoreMs);
}
