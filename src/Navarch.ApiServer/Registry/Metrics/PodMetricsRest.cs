using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Metrics;
using Navarch.Api.Selectors;
using Navarch.ApiServer.ResourceMetrics;

namespace Navarch.ApiServer.Registry.Metrics;

/// <summary>
/// metrics.k8s.io/v1beta1 pods (metrics-server's PodMetrics storage): the scraper's latest usage of each pod that
/// exists (in one namespace or all), labelled as the Pod, selectable by label and <c>metadata.name</c>; a pod not
/// yet measured is absent from lists and NotFound on get.
/// </summary>
internal sealed class PodMetricsRest(StoreRegistry stores, ResourceMetricsScraper scraper, TimeProvider time) : IRestGetter, IRestLister
{
    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken)
    {
        var pod = (V1Pod)await stores.For("", "v1", "pods").GetAsync(request.Info.Namespace, request.Name, cancellationToken);
        return Metrics(pod) ?? throw ApiErrors.NotFound("podmetrics.metrics.k8s.io", request.Name);
    }

    public async Task<ListPage> ListAsync(RestRequest request, CancellationToken cancellationToken)
    {
        ListPage pods = await stores.For("", "v1", "pods").ListAsync(request.Info.Namespace, new ListQuery(request.Info.Options.Labels, FieldSelector.Everything), cancellationToken);
        string? name = request.Info.Options.Fields.RequiresExactMatch("metadata.name");
        var items = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (V1Pod pod in pods.Items.Cast<V1Pod>().Where(p => name is null || p.Metadata.Name == name))
        {
            if (Metrics(pod) is { } metrics)
            {
                items.Add(metrics);
            }
        }

        return new ListPage(items, 0, null, null);
    }

    private V1beta1PodMetrics? Metrics(V1Pod pod)
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
