using k8s.Models;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// What every metric of one HPA sync is computed against: the target's namespace, its Scale's spec and status replica
/// counts (Kubernetes uses the first for most calculations and the second for per-pod shares of a total), its pod
/// selector as text and the pods it selects.
/// </summary>
internal sealed record MetricTarget(string Namespace, int SpecReplicas, int StatusReplicas, string Selector, IReadOnlyList<V1Pod> Pods);
