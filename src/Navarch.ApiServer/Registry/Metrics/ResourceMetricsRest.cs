using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Selectors;

namespace Navarch.ApiServer.Registry.Metrics;

/// <summary>
/// What metrics-server's node and pod storages share: a metrics object for each <typeparamref name="TSource"/> that
/// exists (core/v1 <paramref name="sourceResource"/>, in the request's namespace or all) and has been measured,
/// selectable by the source's labels and <c>metadata.name</c>; one not yet measured is absent from lists and NotFound on
/// get (as <paramref name="metricsResource"/>).
/// </summary>
internal abstract class ResourceMetricsRest<TSource>(StoreRegistry stores, string sourceResource, string metricsResource) : IRestGetter, IRestLister
    where TSource : IKubernetesObject<V1ObjectMeta>
{
    public async Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken)
    {
        var source = (TSource)await stores.For("", "v1", sourceResource).GetAsync(request.Info.Namespace, request.Name, cancellationToken);
        return Metrics(source) ?? throw ApiErrors.NotFound(metricsResource, request.Name);
    }

    public async Task<ListPage> ListAsync(RestRequest request, CancellationToken cancellationToken)
    {
        ListPage sources = await stores.For("", "v1", sourceResource).ListAsync(request.Info.Namespace, new ListQuery(request.Info.Options.Labels, FieldSelector.Everything), cancellationToken);
        string? name = request.Info.Options.Fields.RequiresExactMatch("metadata.name");
        var items = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (TSource source in sources.Items.Cast<TSource>().Where(s => name is null || s.Metadata.Name == name))
        {
            if (Metrics(source) is { } metrics)
            {
                items.Add(metrics);
            }
        }

        return new ListPage(items, 0, null, null);
    }

    /// <summary>The latest metrics of <paramref name="source"/>, or null when it has not been measured.</summary>
    protected abstract IKubernetesObject<V1ObjectMeta>? Metrics(TSource source);
}
