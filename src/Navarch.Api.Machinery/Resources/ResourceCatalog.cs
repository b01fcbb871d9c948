using System.Reflection;
using k8s;
using k8s.Models;
using Navarch.Api.Strategies;
using Navarch.Api.Strategies.ApiExtensions;
using Navarch.Api.Strategies.Apps;
using Navarch.Api.Strategies.Autoscaling;
using Navarch.Api.Strategies.Batch;
using Navarch.Api.Strategies.Coordination;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Strategies.Discovery;
using Navarch.Api.Strategies.Networking;
using Navarch.Api.Strategies.Policy;
using Navarch.Api.Strategies.Rbac;
using Navarch.Api.Strategies.Scheduling;
using Navarch.Api.Strategies.Storage;
using Navarch.Api.Validation;

namespace Navarch.Api.Resources;

/// <summary>
/// Every resource Navarch serves, declared once: discovery, routing and storage all read from here. Group,
/// version, kind and plural come from the <c>[KubernetesEntity]</c> attribute of the official model types.
/// </summary>
public sealed class ResourceCatalog
{
    private static readonly string[] NoCollectionDelete = ["create", "delete", "get", "list", "patch", "update", "watch"];

    private readonly Dictionary<(string Group, string Version, string Plural), ResourceDefinition> _byPath = [];

    /// <summary>The catalog of built-in resources.</summary>
    public static ResourceCatalog Default { get; } = new(BuiltIn());

    /// <summary>Builds a catalog from <paramref name="definitions"/> (kept in the given order).</summary>
    public ResourceCatalog(IEnumerable<ResourceDefinition> definitions)
    {
        All = definitions.ToList();
        foreach (ResourceDefinition d in All)
        {
            _byPath[(d.Group, d.Version, d.Plural)] = d;
        }
    }

    /// <summary>Every definition, in discovery order.</summary>
    public IReadOnlyList<ResourceDefinition> All { get; }

    /// <summary>The group/versions served, in discovery order ("" = core).</summary>
    public IEnumerable<(string Group, string Version)> GroupVersions => All.Select(d => (d.Group, d.Version)).Distinct();

    /// <summary>Looks a resource up by its URL parts.</summary>
    public ResourceDefinition? Find(string group, string version, string plural) =>
        _byPath.GetValueOrDefault((group, version, plural));

    /// <summary>Looks a resource up by its model type.</summary>
    public ResourceDefinition? Find(Type clrType) => All.FirstOrDefault(d => d.ClrType == clrType);

    private static IEnumerable<ResourceDefinition> BuiltIn()
    {
        string[] all = ["all"];
        // core/v1
        yield return Define<V1Pod, V1PodList>(true, "/registry/pods", PodStrategy.Create(), ["po"], all, ["status", "binding", "eviction", "log", "exec", "attach", "portforward", "ephemeralcontainers"]);
        yield return Define<V1Service, V1ServiceList>(true, "/registry/services/specs", ServiceStrategy.Create(), ["svc"], all, ["status", "proxy"]);
        yield return Define<V1Endpoints, V1EndpointsList>(true, "/registry/services/endpoints", EndpointsStrategy.Create(), ["ep"]);
        yield return Define<V1ConfigMap, V1ConfigMapList>(true, "/registry/configmaps", ConfigMapStrategy.Create(), ["cm"]);
        yield return Define<V1Secret, V1SecretList>(true, "/registry/secrets", SecretStrategy.Create());
        yield return Define<V1Namespace, V1NamespaceList>(false, "/registry/namespaces", NamespaceStrategy.Create(), ["ns"], subresources: ["status", "finalize"], verbs: NoCollectionDelete);
        yield return Define<V1Node, V1NodeList>(false, "/registry/minions", NodeStrategy.Create(), ["no"], subresources: ["status", "proxy"]);
        yield return Define<Corev1Event, Corev1EventList>(true, "/registry/events", EventStrategy.Create(), ["ev"]);
        yield return Define<V1ServiceAccount, V1ServiceAccountList>(true, "/registry/serviceaccounts", ServiceAccountStrategy.Create(), ["sa"], subresources: ["token"]);
        yield return Define<V1ResourceQuota, V1ResourceQuotaList>(true, "/registry/resourcequotas", ResourceQuotaStrategy.Create(), ["quota"], subresources: ["status"]);
        yield return Define<V1LimitRange, V1LimitRangeList>(true, "/registry/limitranges", LimitRangeStrategy.Create(), ["limits"]);
        yield return Define<V1PersistentVolume, V1PersistentVolumeList>(false, "/registry/persistentvolumes", PersistentVolumeStrategy.Create(), ["pv"], subresources: ["status"]);
        yield return Define<V1PersistentVolumeClaim, V1PersistentVolumeClaimList>(true, "/registry/persistentvolumeclaims", PersistentVolumeClaimStrategy.Create(), ["pvc"], subresources: ["status"]);

        // apps/v1
        yield return Define<V1Deployment, V1DeploymentList>(true, "/registry/deployments", DeploymentStrategy.Create(), ["deploy"], all, ["status", "scale"]);
        yield return Define<V1ReplicaSet, V1ReplicaSetList>(true, "/registry/replicasets", ReplicaSetStrategy.Create(), ["rs"], all, ["status", "scale"]);
        yield return Define<V1StatefulSet, V1StatefulSetList>(true, "/registry/statefulsets", StatefulSetStrategy.Create(), ["sts"], all, ["status", "scale"]);
        yield return Define<V1DaemonSet, V1DaemonSetList>(true, "/registry/daemonsets", DaemonSetStrategy.Create(), ["ds"], all, ["status"]);
        yield return Define<V1ControllerRevision, V1ControllerRevisionList>(true, "/registry/controllerrevisions", ControllerRevisionStrategy.Create());

        // batch/v1
        yield return Define<V1Job, V1JobList>(true, "/registry/jobs", JobStrategy.Create(), categories: all, subresources: ["status"]);
        yield return Define<V1CronJob, V1CronJobList>(true, "/registry/cronjobs", CronJobStrategy.Create(), ["cj"], all, ["status"]);

        yield return Define<V1Lease, V1LeaseList>(true, "/registry/leases", LeaseStrategy.Create());
        yield return Define<V1EndpointSlice, V1EndpointSliceList>(true, "/registry/endpointslices", EndpointSliceStrategy.Create());
        yield return Define<V2HorizontalPodAutoscaler, V2HorizontalPodAutoscalerList>(true, "/registry/horizontalpodautoscalers", HorizontalPodAutoscalerStrategy.Create(), ["hpa"], all, ["status"]);
        yield return Define<V1HorizontalPodAutoscaler, V1HorizontalPodAutoscalerList>(true, "/registry/horizontalpodautoscalers", Plain<V1HorizontalPodAutoscaler>(true), ["hpa"], all, ["status"]) with { Converter = Conversion.Conversions.HorizontalPodAutoscalers };
        yield return Define<Eventsv1Event, Eventsv1EventList>(true, "/registry/events", Plain<Eventsv1Event>(), ["ev"]) with { Converter = Conversion.Conversions.Events };
        yield return Define<V1PodDisruptionBudget, V1PodDisruptionBudgetList>(true, "/registry/poddisruptionbudgets", PodDisruptionBudgetStrategy.Create(), ["pdb"], subresources: ["status"]);
        yield return Define<V1Role, V1RoleList>(true, "/registry/roles", RoleStrategy.Create<V1Role>(r => r.Rules));
        yield return Define<V1ClusterRole, V1ClusterRoleList>(false, "/registry/clusterroles", RoleStrategy.Create<V1ClusterRole>(r => r.Rules));
        yield return Define<V1RoleBinding, V1RoleBindingList>(true, "/registry/rolebindings", RoleBindingStrategy.Create<V1RoleBinding>(b => b.RoleRef, b => b.Subjects));
        yield return Define<V1ClusterRoleBinding, V1ClusterRoleBindingList>(false, "/registry/clusterrolebindings", RoleBindingStrategy.Create<V1ClusterRoleBinding>(b => b.RoleRef, b => b.Subjects));
        yield return Define<V1Ingress, V1IngressList>(true, "/registry/ingress", IngressStrategy.Create(), ["ing"], subresources: ["status"]);
        yield return Define<V1NetworkPolicy, V1NetworkPolicyList>(true, "/registry/networkpolicies", NetworkPolicyStrategy.Create(), ["netpol"]);
        yield return Define<V1IngressClass, V1IngressClassList>(false, "/registry/ingressclasses", IngressClassStrategy.Create());
        yield return Define<V1StorageClass, V1StorageClassList>(false, "/registry/storageclasses", StorageClassStrategy.Create(), ["sc"]);
        yield return Define<V1PriorityClass, V1PriorityClassList>(false, "/registry/priorityclasses", PriorityClassStrategy.Create(), ["pc"]);
        yield return Define<V1CustomResourceDefinition, V1CustomResourceDefinitionList>(false, "/registry/apiextensions.k8s.io/customresourcedefinitions", CustomResourceDefinitionStrategy.Create(), ["crd", "crds"], subresources: ["status"]);
    }

    private static ResourceStrategy<T> Plain<T>(bool hasStatus = false, Action<T>? defaults = null, NameRule nameRule = NameRule.Subdomain, Func<T, IEnumerable<FieldError>>? validation = null, Func<T, T, IEnumerable<FieldError>>? updateValidation = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var spec = typeof(T).GetProperty("Spec");
        return new ResourceStrategy<T>
        {
            HasStatus = hasStatus,
            NameRule = nameRule,
            Validation = validation,
            UpdateValidation = updateValidation,
            // Defaults that read the spec only run once it exists; an object without one gets none.
            Defaults = defaults is null ? null : o =>
            {
                if (spec is null || spec.GetValue(o) is not null)
                {
                    defaults(o);
                }
            },
        };
    }

    private static ResourceDefinition Define<T, TList>(
        bool namespaced,
        string storagePrefix,
        IResourceStrategy strategy,
        string[]? shortNames = null,
        string[]? categories = null,
        string[]? subresources = null,
        string[]? verbs = null)
    {
        KubernetesEntityAttribute entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{typeof(T)} has no KubernetesEntity attribute");
        var definition = new ResourceDefinition
        {
            Group = entity.Group ?? "",
            Version = entity.ApiVersion,
            Kind = entity.Kind,
            Plural = entity.PluralName,
            Singular = entity.Kind.ToLowerInvariant(),
            Namespaced = namespaced,
            ClrType = typeof(T),
            ListClrType = typeof(TList),
            StoragePrefix = storagePrefix,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
            Subresources = subresources ?? [],
            Strategy = strategy,
        };
        return verbs is null ? definition : definition with { Verbs = verbs };
    }
}
