using k8s;
using k8s.Models;
using Navarch.Api.Metrics;
using Navarch.ApiServer.ResourceMetrics;

namespace Navarch.ApiServer.Registry.Metrics;

/// <summary>
/// metrics.k8s.io/v1beta1 nodes (metrics-server's NodeMetrics storage): the scraper's latest usage of each node that
/// exists, labelled as the Node, selectable by label and <c>metadata.name</c>.
/// </summary>
internal sealed class NodeMetricsRest(StoreRegistry stores, ResourceMetricsScraper scraper, TimeProvider time)
    : ResourceMetricsRest<V1Node>(stores, "nodes", "nodemetrics.metrics.k8s.io")
{
    protected override IKubernetesObject<V1ObjectMeta>? Metrics(V1Node node) =>
        scraper.Latest.Nodes.TryGetValue(node.Metadata.Name, out NodeUsage usage)
            ? new V1beta1NodeMetrics
            {
                Metadata = ResourceMetricsQuantities.Meta(node.Metadata.Name, null, node.Metadata.Labels, time.GetUtcNow()),
                Timestamp = usage.Timestamp.UtcDateTime,
                Window = ResourceMetricsQuantities.Window(usage.Window),
                Usage = ResourceMetricsQuantities.Usage(usage.NanoCores, usage.WorkingSetBytes),
            }
            : null;
}
