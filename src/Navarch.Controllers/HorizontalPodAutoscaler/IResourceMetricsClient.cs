namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>Where the HPA reads pods' resource usage (the metrics client of kube-controller-manager's HPA).</summary>
public interface IResourceMetricsClient
{
    /// <summary>
    /// The usage of <paramref name="resource"/> by each pod in <paramref name="ns"/> matching
    /// <paramref name="labelSelector"/>, by pod name: all containers summed, or only <paramref name="container"/>
    /// (pods without it are left out). Throws <see cref="MetricsException"/> when the metrics API cannot answer.
    /// </summary>
    Task<IReadOnlyDictionary<string, PodMetric>> GetPodMetricsAsync(string ns, string labelSelector, string resource, string? container, CancellationToken cancellationToken);
}
