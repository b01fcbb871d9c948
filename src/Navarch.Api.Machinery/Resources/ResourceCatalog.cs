using System.Reflection;
using k8s;
using k8s.Models;
using Navarch.Api.Strategies;
using Navarch.Api.Strategies.AdmissionRegistration;
using Navarch.Api.Strategies.ApiExtensions;
using Navarch.Api.Strategies.ApiRegistration;
using Navarch.Api.Strategies.Apps;
using Navarch.Api.Strategies.Autoscaling;
using Navarch.Api.Strategies.Batch;
using Navarch.Api.Strategies.Certificates;
using Navarch.Api.Strategies.Coordination;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Strategies.Discovery;
using Navarch.Api.Strategies.Networking;
using Navarch.Api.Strategies.Node;
using Navarch.Api.Strategies.Policy;
using Navarch.Api.Strategies.Rbac;
using Navarch.Api.Strategies.Scheduling;
using Navarch.Api.Strategies.Storage;
using Navarch.Api.Validation;

namespace Navarch.Api.Resources;

/// <summary>
/// Every resource Navarch serves: discovery, routing, OpenAPI and storage all read from here. The built-in
/// resources are declared once below (group, version, kind and plural come from the <c>[KubernetesEntity]</c>
/// attribute of the official model types); more can be added and removed while the server runs (custom resources),
/// and every change raises <see cref="Changed"/> with a new <see cref="Version"/>. Reads are lock-free and each sees
/// one consistent set.
/// </summary>
public sealed class ResourceCatalog
{
    private static readonly string[] NoCollectionDelete = ["create", "delete", "get", "list", "patch", "update", "watch"];

    private readonly Lock _writeLock = new();
    private volatile Snapshot _current;

    /// <summary>
    /// A catalog of the built-in resources shared by readers that never change it (manifests, tests). A server makes
    /// its own with <see cref="CreateBuiltIn"/>, since it adds and removes resources.
    /// </summary>
    public static ResourceCatalog Default { get; } = CreateBuiltIn();

    /// <summary>Builds a catalog from <paramref name="definitions"/> (kept in the given order).</summary>
    public ResourceCatalog(IEnumerable<ResourceDefinition> definitions)
    {
        _current = new Snapshot(0, definitions.ToList());
    }

    /// <summary>Raised after every <see cref="Add"/> or <see cref="Remove"/> that changed the catalog.</summary>
    public event EventHandler<ResourceCatalogChangedEventArgs>? Changed;

    /// <summary>A new catalog of the built-in resources.</summary>
    public static ResourceCatalog CreateBuiltIn() => new(BuiltIn());

    /// <summary>Grows by one with every change; caches built from the catalog are keyed by it.</summary>
    public long Version => _current.Version;

    /// <summary>Every definition, in discovery order.</summary>
    public IReadOnlyList<ResourceDefinition> All => _current.All;

    /// <summary>The group/versions served, in discovery order ("" = core).</summary>
    public IReadOnlyList<(string Group, string Version)> GroupVersions => _current.GroupVersions;

    /// <summary>The current definitions and the <see cref="Version"/> they are at, read together.</summary>
    public (long Version, IReadOnlyList<ResourceDefinition> All) Current
    {
        get
        {
            Snapshot current = _current;
            return (current.Version, current.All);
        }
    }

    /// <summary>Looks a resource up by its URL parts.</summary>
    public ResourceDefinition? Find(string group, string version, string plural) =>
        _current.ByPath.GetValueOrDefault((group, version, plural));

    /// <summary>Looks a resource up by its model type.</summary>
    public ResourceDefinition? Find(Type clrType) => _current.All.FirstOrDefault(d => d.ClrType == clrType);

    /// <summary>Serves <paramref name="definition"/>, in place of one with the same group, version and plural.</summary>
    public void Add(ResourceDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Change(all =>
        {
            int at = all.FindIndex(d => SamePath(d, definition));
            ResourceDefinition? replaced = at >= 0 ? all[at] : null;
            if (at >= 0)
            {
                all[at] = definition;
            }
            else
            {
                all.Add(definition);
            }

            return (definition, replaced);
        });
    }

    /// <summary>Stops serving group/version/plural; false when it was not served.</summary>
    public bool Remove(string group, string version, string plural)
    {
        bool removed = false;
        Change(all =>
        {
            int at = all.FindIndex(d => d.Group == group && d.Version == version && d.Plural == plural);
            if (at < 0)
            {
                return (null, null);
            }

            ResourceDefinition gone = all[at];
            all.RemoveAt(at);
            removed = true;
            return (null, gone);
        });
        return removed;
    }

    private void Change(Func<List<ResourceDefinition>, (ResourceDefinition? Added, ResourceDefinition? Removed)> change)
    {
        ResourceCatalogChangedEventArgs args;
        lock (_writeLock)
        {
            var all = _current.All.ToList();
            (ResourceDefinition? added, ResourceDefinition? removed) = change(all);
            if (added is null && removed is null)
            {
                return;
            }

            var next = new Snapshot(_current.Version + 1, all);
            _current = next;
            args = new ResourceCatalogChangedEventArgs(next.Version, added, removed);
        }

        Changed?.Invoke(this, args);
    }

    private static bool SamePath(ResourceDefinition a, ResourceDefinition b) =>
        a.Group == b.Group && a.Version == b.Version && a.Plural == b.Plural;

    /// <summary>One immutable state of the catalog; a change swaps in a new one.</summary>
    private sealed class Snapshot
    {
        public Snapshot(long version, List<ResourceDefinition> all)
        {
            Version = version;
            All = all;
            GroupVersions = all.Select(d => (d.Group, d.Version)).Distinct().ToList();
            foreach (ResourceDefinition d in all)
            {
                ByPath[(d.Group, d.Version, d.Plural)] = d;
            }
        }

        public long Version { get; }

        public IReadOnlyList<ResourceDefinition> All { get; }

        public IReadOnlyList<(string Group, string Version)> GroupVersions { get; }

        public Dictionary<(string Group, string Version, string Plural), ResourceDefinition> ByPath { get; } = [];
    }

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
        yield return Define<V1ReplicationController, V1ReplicationControllerList>(true, "/registry/controllers", ReplicationControllerStrategy.Create(), ["rc"], all, ["status", "scale"]);
        yield return Define<V1PodTemplate, V1PodTemplateList>(true, "/registry/podtemplates", PodTemplateStrategy.Create());
        yield return Define<V1ComponentStatus, V1ComponentStatusList>(false, "/registry/componentstatuses", ComponentStatusStrategy.Create(), ["cs"], verbs: ["get", "list"]);

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

        // metrics.k8s.io/v1beta1: the resource metrics API, read-only, answered from the kubelets' scraped usage.
        yield return Define<Metrics.V1beta1NodeMetrics, Metrics.V1beta1NodeMetricsList>(false, "/registry/metrics.k8s.io/nodes", Strategies.Metrics.ResourceMetricsStrategy.Nodes(), verbs: ["get", "list"]);
        yield return Define<Metrics.V1beta1PodMetrics, Metrics.V1beta1PodMetricsList>(true, "/registry/metrics.k8s.io/pods", Strategies.Metrics.ResourceMetricsStrategy.Pods(), verbs: ["get", "list"]);
        // logging.navarch.io/v1: the central log store — lines are listed (and followed), batches are shipped by agents.
        yield return Define<Logging.V1ContainerLog, Logging.V1ContainerLogList>(true, "/registry/logging.navarch.io/containerlogs", Strategies.Logging.ContainerLogStrategy.Create(), verbs: ["list"]);
        yield return Define<Logging.V1ContainerLogBatch, Logging.V1ContainerLogBatch>(false, "/registry/logging.navarch.io/containerlogbatches", Plain<Logging.V1ContainerLogBatch>(), verbs: ["create"]);
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
        yield return Define<V1CSIDriver, V1CSIDriverList>(false, "/registry/csidrivers", CsiDriverStrategy.Create());
        yield return Define<V1CSINode, V1CSINodeList>(false, "/registry/csinodes", CsiNodeStrategy.Create());
        yield return Define<V1VolumeAttachment, V1VolumeAttachmentList>(false, "/registry/volumeattachments", VolumeAttachmentStrategy.Create(), subresources: ["status"]);
        yield return Define<V1CSIStorageCapacity, V1CSIStorageCapacityList>(true, "/registry/csistoragecapacities", CsiStorageCapacityStrategy.Create());
        yield return Define<V1PriorityClass, V1PriorityClassList>(false, "/registry/priorityclasses", PriorityClassStrategy.Create(), ["pc"]);
        yield return Define<V1RuntimeClass, V1RuntimeClassList>(false, "/registry/runtimeclasses", RuntimeClassStrategy.Create());
        yield return Define<V1CertificateSigningRequest, V1CertificateSigningRequestList>(false, "/registry/certificatesigningrequests", CertificateSigningRequestStrategy.Create(), ["csr"], subresources: ["status", "approval"]);
        yield return Define<V1APIService, V1APIServiceList>(false, "/registry/apiregistration.k8s.io/apiservices", ApiServiceStrategy.Create(), subresources: ["status"]);
        yield return Define<V1MutatingWebhookConfiguration, V1MutatingWebhookConfigurationList>(false, "/registry/mutatingwebhookconfigurations", MutatingWebhookConfigurationStrategy.Create());
        yield return Define<V1ValidatingWebhookConfiguration, V1ValidatingWebhookConfigurationList>(false, "/registry/validatingwebhookconfigurations", ValidatingWebhookConfigurationStrategy.Create());
        yield return Define<V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyList>(false, "/registry/validatingadmissionpolicies", ValidatingAdmissionPolicyStrategy.Create(), subresources: ["status"]);
        yield return Define<V1ValidatingAdmissionPolicyBinding, V1ValidatingAdmissionPolicyBindingList>(false, "/registry/validatingadmissionpolicybindings", ValidatingAdmissionPolicyBindingStrategy.Create());
        yield return Define<V1CustomResourceDefinition, V1CustomResourceDefinitionList>(false, "/registry/apiextensions.k8s.io/customresourcedefinitions", CustomResourceDefinitionStrategy.Create(), ["crd", "crds"], subresources: ["status"]);

        // authentication.k8s.io/v1 and authorization.k8s.io/v1: the reviews, answered on create and never stored.
        yield return Review<V1TokenReview>(false);
        yield return Review<V1SelfSubjectReview>(false);
        yield return Review<V1LocalSubjectAccessReview>(true);
        yield return Review<V1SelfSubjectAccessReview>(false);
        yield return Review<V1SelfSubjectRulesReview>(false);
        yield return Review<V1SubjectAccessReview>(false);
    }

    /// <summary>
    /// A create-only kind that is answered, not stored (Kubernetes' reviews): only <c>create</c> is advertised and
    /// served, and it has no list type, so its own type stands in for one. The models name no plural for these kinds;
    /// Kubernetes' is the lower-case kind with an "s".
    /// </summary>
    private static ResourceDefinition Review<T>(bool namespaced)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        KubernetesEntityAttribute entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()!;
        string plural = entity.Kind.ToLowerInvariant() + "s";
        return Define<T, T>(namespaced, $"/registry/{entity.Group}/{plural}", Plain<T>(), verbs: ["create"]) with { Plural = plural };
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
