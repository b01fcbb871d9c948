using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Metrics;
using Navarch.Api.Selectors;
using Navarch.ApiServer.ResourceMetrics;

namespace Navarch.ApiServer.Registry.Metrics;

/// <summary>
/// metrics.k8s.io/v1beta1 nodes (metrics-server's NodeMetrics storage): the scraper's latest usage of each node that
/// exists, labelled as the Node, selectable by label and <c>metadata.name</c>.
/// </summary>
internal sealed class NodeMetricsRest(StoreRegistry stores, ResourceMetricsScraper scraper, TimeProvider time) : IRestGetter, IRestLister
{
    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken)
    {
        var node = (V1Node)await stores.For("", "v1", "nodes").GetAsync(null, request.Name, cancellationToken);
        return Metrics(node) ?? throw ApiErrors.NotFound("nodemetrics.metrics.k8s.io", request.Name);
    }

    public async Task<ListPage> ListAsync(RestRequest request, CancellationToken cancellationToken)
    {
        ListPage nodes = await stores.For("", "v1", "nodes").ListAsync(null, new ListQuery(request.Info.Options.Labels, FieldSelector.Everything), cancellationToken);
        string? name = request.Info.Options.Fields.RequiresExactMatch("metadata.name");
        var items = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (V1Node node in nodes.Items.Cast<V1Node>().Where(n => name is null || n.Metadata.Name == name))
        {
            if (Metrics(node) is { } metrics)
            {
                items.Add(metrics);
            }
        }

        return new ListPage(items, 0, null, null);
    }

    private V1beta1NodeMetrics? Metrics(V1Node node) =>
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
