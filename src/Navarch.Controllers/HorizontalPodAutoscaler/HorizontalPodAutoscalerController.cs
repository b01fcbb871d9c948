using k8s;
using k8s.Models;
using Navarch.Api.Selectors;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// kube-controller-manager's horizontal-pod-autoscaler controller: every sync period each autoscaling/v2
/// HorizontalPodAutoscaler (v1 ones are the same objects, converted) reads its target's <c>/scale</c>, computes a
/// replica count per metric — <c>Resource</c> and <c>ContainerResource</c> from the resource metrics API (utilization of
/// requests or average value), <c>Pods</c> and <c>Object</c> from the custom metrics API, <c>External</c> from the
/// external metrics API (both served by adapters behind the aggregator) — takes the largest, stabilizes and limits it (<see cref="ReplicaNormalizer"/>), writes
/// the scale when it changed, and records conditions, current metrics and Events as Kubernetes does.
/// </summary>
public sealed partial class HorizontalPodAutoscalerController : QueueController
{
    private readonly Informer<V2HorizontalPodAutoscaler> _hpas;
    private readonly Informer<V1Pod> _pods;
    private readonly EventRecorder _events;
    private readonly ScaleClient _scales;
    private readonly IResourceMetricsClient _metrics;
    private readonly CustomMetricsClient _customMetrics;
    private readonly ExternalMetricsClient _externalMetrics;
    private readonly ReplicaCalculator _calculator;
    private readonly ReplicaNormalizer _normalizer;
    private readonly TimeSpan _syncPeriod;
    private readonly Dictionary<string, ITimer> _timers = new(StringComparer.Ordinal);
    private readonly Lock _timersLock = new();

    /// <summary>Creates the controller over the shared HPA and Pod informers; <paramref name="metrics"/> defaults to the metrics.k8s.io API.</summary>
    public HorizontalPodAutoscalerController(ControllerContext context, IResourceMetricsClient? metrics = null)
        : base("horizontalpodautoscaling", context)
    {
        ControllerManagerOptions options = context.Options;
        _syncPeriod = options.HorizontalPodAutoscalerSyncPeriod;
        _events = context.Recorder("horizontal-pod-autoscaler");
        _scales = new ScaleClient(context.Api);
        _metrics = metrics ?? new ResourceMetricsClient(context.Api);
        _customMetrics = new CustomMetricsClient(context.Api);
        _externalMetrics = new ExternalMetricsClient(context.Api);
        _calculator = new ReplicaCalculator(Time, options.HorizontalPodAutoscalerTolerance, options.HorizontalPodAutoscalerCpuInitializationPeriod, options.HorizontalPodAutoscalerInitialReadinessDelay);
        _normalizer = new ReplicaNormalizer(Time, options.HorizontalPodAutoscalerDownscaleStabilizationWindow);
        _hpas = context.Informers.Get<V2HorizontalPodAutoscaler>();
        _pods = context.Informers.Get<V1Pod>();
        _hpas.AddHandler(new ResourceEventHandler<V2HorizontalPodAutoscaler> { AddFunc = Added, DeleteFunc = (hpa, _) => Deleted(hpa) });
    }

    // A new HPA is reconciled at once and then every sync period; changes wait for the next period, as Kubernetes'
    // fixed-interval rate limiter makes them.
    private void Added(V2HorizontalPodAutoscaler hpa)
    {
        string key = ObjectKeys.KeyOf(hpa);
        lock (_timersLock)
        {
            if (!_timers.ContainsKey(key))
            {
                _timers[key] = Time.CreateTimer(_ => Queue.Add(key), null, _syncPeriod, _syncPeriod);
            }
        }

        Queue.Add(key);
    }

    private void Deleted(V2HorizontalPodAutoscaler hpa)
    {
        string key = ObjectKeys.KeyOf(hpa);
        lock (_timersLock)
        {
            if (_timers.Remove(key, out ITimer? timer))
            {
                timer.Dispose();
            }
        }

        _normalizer.Forget(key);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_timersLock)
            {
                foreach (ITimer timer in _timers.Values)
                {
                    timer.Dispose();
                }

                _timers.Clear();
            }
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_hpas.Store.Get(key) is not { Spec: not null } hpa)
        {
            return;
        }

        V2HorizontalPodAutoscalerStatus status = hpa.Status is null ? new V2HorizontalPodAutoscalerStatus() : ModelCopies.Copy(hpa.Status);
        await ReconcileAsync(key, hpa, status, cancellationToken).ConfigureAwait(false);
        status.ObservedGeneration = hpa.Metadata.Generation;
        await StatusWrites.WriteAsync(hpa, status, hpa.Status, (h, s) => h.Status = s,
            h => Client.AutoscalingV2.ReplaceNamespacedHorizontalPodAutoscalerStatusAsync(h, h.Metadata.Name, h.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
            Queue, key, goneIsDone: true).ConfigureAwait(false);
    }

    private async Task ReconcileAsync(string key, V2HorizontalPodAutoscaler hpa, V2HorizontalPodAutoscalerStatus status, CancellationToken cancellationToken)
    {
        V2HorizontalPodAutoscalerSpec spec = hpa.Spec;
        string ns = hpa.Metadata.NamespaceProperty;
        V1Scale scale;
        string scalePath;
        try
        {
            (scale, scalePath) = await _scales.GetAsync(ns, spec.ScaleTargetRef, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Navarch.Client.ApiException or InvalidOperationException or HttpRequestException)
        {
            _events.Event(hpa, "Warning", "FailedGetScale", e.Message);
            SetCondition(status, "AbleToScale", false, "FailedGetScale", $"the HPA controller was unable to get the target's current scale: {e.Message}");
            return;
        }

        SetCondition(status, "AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale");
        int current = scale.Spec?.Replicas ?? 0;
        int min = spec.MinReplicas ?? 1;
        int desired;
        string reason;
        List<V2MetricStatus>? metricStatuses = status.CurrentMetrics?.ToList();
        if (current == 0 && min != 0)
        {
            // Scaling a target to zero by hand turns autoscaling off until it is scaled up again.
            desired = 0;
            reason = "";
            SetCondition(status, "ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
        }
        else if (current > spec.MaxReplicas)
        {
            desired = spec.MaxReplicas;
            reason = "Current number of replicas above Spec.MaxReplicas";
        }
        else if (current < min)
        {
            desired = min;
            reason = "Current number of replicas below Spec.MinReplicas";
        }
        else
        {
            if (string.IsNullOrEmpty(scale.Status?.Selector))
            {
                _events.Event(hpa, "Warning", "SelectorRequired", "selector is required");
                SetCondition(status, "ScalingActive", false, "InvalidSelector", "the HPA target's scale is missing a selector");
                SetReplicas(status, current, current, metricStatuses);
                return;
            }

            MetricsProposal proposal = await ComputeReplicasForMetricsAsync(hpa, status, current, scale.Status.Replicas, scale.Status.Selector, cancellationToken).ConfigureAwait(false);
            metricStatuses = proposal.Statuses;
            if (proposal.Error is not null)
            {
                _events.Event(hpa, "Warning", "FailedComputeMetricsReplicas", proposal.Error);
                SetReplicas(status, current, current, metricStatuses);
                return;
            }

            SetCondition(status, "ScalingActive", true, "ValidMetricFound", $"the HPA was able to successfully calculate a replica count from {proposal.MetricName}");
            Normalization normalized = _normalizer.Normalize(key, spec.Behavior, min, spec.MaxReplicas, current, proposal.Replicas);
            SetCondition(status, "AbleToScale", true, normalized.AbleToScaleReason, normalized.AbleToScaleMessage);
            SetCondition(status, "ScalingLimited", normalized.Limited, normalized.LimitedReason, normalized.LimitedMessage);
            desired = normalized.Replicas;
            reason = desired > current ? $"{proposal.MetricName} above target" : "All metrics below target";
        }

        bool rescale = desired != current && !(current == 0 && min != 0);
        if (rescale)
        {
            scale.Spec ??= new V1ScaleSpec();
            scale.Spec.Replicas = desired;
            try
            {
                await _scales.UpdateAsync(scalePath, scale, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Navarch.Client.ApiException or HttpRequestException)
            {
                _events.Event(hpa, "Warning", "FailedRescale", $"New size: {desired}; reason: {reason}; error: {e.Message}");
                SetCondition(status, "AbleToScale", false, "FailedUpdateScale", $"the HPA controller was unable to update the target scale: {e.Message}");
                SetReplicas(status, current, current, metricStatuses);
                return;
            }

            SetCondition(status, "AbleToScale", true, "SucceededRescale", $"the HPA controller was able to update the target scale to {desired}");
            _events.Event(hpa, "Normal", "SuccessfulRescale", $"New size: {desired}; reason: {reason}");
            _normalizer.RecordScale(key, spec.Behavior, current, desired);
            LogRescaled(Logger, key, current, desired, reason);
            status.LastScaleTime = Time.GetUtcNow().UtcDateTime;
        }

        SetReplicas(status, current, desired, metricStatuses);
    }

    private static void SetReplicas(V2HorizontalPodAutoscalerStatus status, int current, int desired, List<V2MetricStatus>? metrics)
    {
        status.CurrentReplicas = current;
        status.DesiredReplicas = desired;
        status.CurrentMetrics = metrics is { Count: > 0 } ? metrics : null;
    }

    // setCondition: the transition time moves only when the status flips.
    private void SetCondition(V2HorizontalPodAutoscalerStatus status, string type, bool value, string reason, string message)
    {
        status.Conditions ??= [];
        string text = value ? "True" : "False";
        V2HorizontalPodAutoscalerCondition? existing = status.Conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            existing = new V2HorizontalPodAutoscalerCondition { Type = type };
            status.Conditions.Add(existing);
        }

        if (existing.Status != text || existing.LastTransitionTime is null)
        {
            existing.LastTransitionTime = Time.GetUtcNow().UtcDateTime;
        }

        existing.Status = text;
        existing.Reason = reason;
        existing.Message = message;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Successful rescale of {Key}, old size: {Old}, new size: {New}, reason: {Reason}")]
    private static partial void LogRescaled(Microsoft.Extensions.Logging.ILogger logger, string key, int old, int @new, string reason);
}
