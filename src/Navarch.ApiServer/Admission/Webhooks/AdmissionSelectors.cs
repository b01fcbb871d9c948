using k8s.Models;
using Navarch.Api.Resources;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// The namespaceSelector and objectSelector of webhooks and policies (Kubernetes' namespace and object matchers): a
/// namespaced request matches on its namespace's labels (a Namespace itself on its own labels; other cluster-scoped
/// objects always match), and an object matches when its new or old labels do. Namespaces come from the watch cache.
/// </summary>
internal sealed class AdmissionSelectors(WatchCaches caches, ResourceCatalog catalog)
{
    private readonly DecodedLister<V1Namespace> _namespaces = new(caches, catalog.Find("", "v1", "namespaces")!);

    /// <summary>True when <paramref name="selector"/> (null or empty: everything) selects the request's namespace.</summary>
    public async ValueTask<bool> NamespaceMatchesAsync(V1LabelSelector? selector, AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (IsEverything(selector))
        {
            return true;
        }

        if (request.Resource.Group.Length == 0 && request.Resource.Plural == "namespaces")
        {
            return selector!.Matches((request.Object ?? request.OldObject)?.Metadata.Labels);
        }

        if (string.IsNullOrEmpty(request.Namespace))
        {
            return true;
        }

        V1Namespace? ns = await _namespaces.GetAsync(null, request.Namespace, cancellationToken);
        return selector!.Matches(ns?.Metadata.Labels);
    }

    /// <summary>True when <paramref name="selector"/> selects the object or the old object.</summary>
    public static bool ObjectMatches(V1LabelSelector? selector, AdmissionRequest request) =>
        IsEverything(selector)
        || (request.Object is { } obj && selector!.Matches(obj.Metadata.Labels))
        || (request.OldObject is { } old && selector!.Matches(old.Metadata.Labels));

    private static bool IsEverything(V1LabelSelector? selector) =>
        selector is null || ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0);
}
