namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// One pod's usage of a resource as the resource metrics API reported it (metrics client's PodMetric): the value in
/// milli-units (millicores, millibytes, as Kubernetes' HPA counts), when it was sampled and over which window.
/// </summary>
public readonly record struct PodMetric(long MilliValue, DateTimeOffset Timestamp, TimeSpan Window);
