using k8s.Models;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>What the metrics propose together: the largest replica count and the metric asking for it, the status of every metric, or the error that stops this sync.</summary>
internal sealed record MetricsProposal(int Replicas, string MetricName, List<V2MetricStatus> Statuses, string? Error);
