using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// kube-apiserver's autoregister controller: every group/version the server itself serves has a local APIService
/// (<c>v1.</c>, <c>v1.apps</c>, ...: no service), created when missing, so <c>kubectl get apiservices</c> lists the
/// built-in APIs beside the aggregated ones. Priorities as kube-apiserver gives the core groups; others get the
/// defaults it gives groups it does not list.
/// </summary>
internal static class LocalApiServices
{
    private static readonly Dictionary<string, int> GroupPriorities = new(StringComparer.Ordinal)
    {
        [""] = 18000,
        ["apiextensions.k8s.io"] = 16700,
        ["apps"] = 17800,
        ["authentication.k8s.io"] = 17700,
        ["authorization.k8s.io"] = 17600,
        ["autoscaling"] = 17500,
        ["batch"] = 17400,
        ["certificates.k8s.io"] = 17300,
        ["networking.k8s.io"] = 17200,
        ["policy"] = 17100,
        ["rbac.authorization.k8s.io"] = 17000,
        ["storage.k8s.io"] = 16800,
        ["apiregistration.k8s.io"] = 18000,
        ["scheduling.k8s.io"] = 16600,
        ["coordination.k8s.io"] = 16500,
        ["discovery.k8s.io"] = 16200,
        ["events.k8s.io"] = 17750,
    };

    /// <summary>The version priority of every local APIService.</summary>
    public const int VersionPriority = 15;

    /// <summary>The <c>groupPriorityMinimum</c> of a group the server serves itself.</summary>
    public static int GroupPriority(string group) => GroupPriorities.GetValueOrDefault(group, 1000);

    /// <summary>The name of the APIService of a group/version: <c>version.group</c>.</summary>
    public static string NameOf(string group, string version) => version + "." + group;

    /// <summary>Creates the local APIServices of <paramref name="catalog"/> that do not exist yet.</summary>
    public static async Task RegisterAsync(ResourceCatalog catalog, StoreRegistry stores, CancellationToken cancellationToken)
    {
        GenericStore apiServices = stores.For("apiregistration.k8s.io", "v1", "apiservices");
        foreach ((string group, string version) in catalog.Current.All.Select(d => (d.Group, d.Version)).Distinct())
        {
            var apiService = new V1APIService
            {
                ApiVersion = "apiregistration.k8s.io/v1",
                Kind = "APIService",
                Metadata = new V1ObjectMeta { Name = NameOf(group, version), Labels = new Dictionary<string, string> { ["kube-aggregator.kubernetes.io/automanaged"] = "onstart" } },
                Spec = new V1APIServiceSpec
                {
                    Group = group,
                    Version = version,
                    GroupPriorityMinimum = GroupPriority(group),
                    VersionPriority = VersionPriority,
                },
            };
            try
            {
                await apiServices.CreateAsync(apiService, dryRun: false, cancellationToken);
            }
            catch (StatusException e) when (e.Status.Reason == "AlreadyExists")
            {
            }
        }
    }
}
