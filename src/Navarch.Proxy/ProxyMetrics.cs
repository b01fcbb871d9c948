using Prometheus;

namespace Navarch.Proxy;

/// <summary>
/// kube-proxy's sync metrics (pkg/proxy/metrics) with their names and buckets:
/// <c>kubeproxy_sync_proxy_rules_duration_seconds</c> (how long a sync that wrote rules took, 1 ms doubling 15 times)
/// and <c>kubeproxy_sync_proxy_rules_last_timestamp_seconds</c> (when the last one finished, in Unix seconds).
/// </summary>
internal sealed class ProxyMetrics
{
    private readonly Histogram _duration;

    private readonly Gauge _lastSync;

    public ProxyMetrics(CollectorRegistry registry)
    {
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _duration = factory.CreateHistogram("kubeproxy_sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _lastSync = factory.CreateGauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds", "The last time proxy rules were successfully synced");
    }

    /// <summary>Records a successful sync that took <paramref name="elapsed"/> and finished at <paramref name="at"/>.</summary>
    public void Synced(TimeSpan elapsed, DateTimeOffset at)
    {
        _duration.Observe(elapsed.TotalSeconds);
        _lastSync.Set(at.ToUnixTimeMilliseconds() / 1000.0);
    }
}
