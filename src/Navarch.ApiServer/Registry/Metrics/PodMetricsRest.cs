using k8s;
using k8s.Models;
using Navarch.Api.Metrics;
using Navarch.ApiServer.ResourceMetrics;

namespace Navarch.ApiServer.Registry.Metrics;

/// <summary>
/// metrics.k8s.io/v1beta1 pods (metrics-server's PodMetrics storage): the scraper's latest usage of each pod that
/// exists (in one namespace or all), labelled as the Pod, selectable by label and <c>metadata.name</c>; a pod not
/// yet measured is absent from lists and NotFound on get.
/// </summary>
internal sealed class PodMetricsRest(StoreRegistry stores, ResourceMetricsScraper scraper, TimeProvider time)
    : ResourceMetricsRest<V1Pod>(stores, "pods", "podmetrics.metrics.k8s.io")
{
    protected override IKubernetesObject<V1ObjectMeta>? Metrics(V1Pod pod)
    {
        if (!scraper.Latest.Pods.TryGetValue(pod.Metadata.NamespaceProperty + "/" + pod.Metadata.Name, out PodUsage? usage) || usage.Uid != pod.Metadata.Uid)
        {
            return null;
        }

        ContainerUsage first = usage.Containers[0];
        return new V1beta1PodMetrics
        {
            Metadata = ResourceMetricsQuantities.Meta(pod.Metadata.Name, pod.Metadata.NamespaceProperty, pod.Metadata.Labels, time.GetUtcNow()),
            Timestamp = first.Timestamp.UtcDateTime,
            Window = ResourceMetricsQuantities.Window(first.Window),
            Containers = usage.Containers.Select(c => new V1beta1ContainerMetrics { Name = c.Name, Usage = ResourceMetricsQuantities.Usage(c.NanoCores, c.WorkingSetBytes) }).ToList(),
        };
    }
}
