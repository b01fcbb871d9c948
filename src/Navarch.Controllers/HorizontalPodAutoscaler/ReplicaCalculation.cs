namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// What the replica calculator proposes for one metric: the replica count, the utilization (percentage of request,
/// when the target is a utilization) and the raw average per pod in milli-units, and when the metrics were sampled.
/// </summary>
public readonly record struct ReplicaCalculation(int Replicas, int? Utilization, long AverageMilliValue, DateTimeOffset Timestamp);
