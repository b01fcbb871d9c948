using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Authorization.Rbac;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry.Authentication;
using Navarch.ApiServer.Registry.Authorization;
using Navarch.ApiServer.Registry.Certificates;
using Navarch.ApiServer.Registry.CustomResourceDefinitions;
using Navarch.ApiServer.Registry.Events;
using Navarch.ApiServer.Registry.Namespaces;
using Navarch.ApiServer.Registry.Pods;
using Navarch.ApiServer.Registry.Rbac;
using Navarch.ApiServer.Registry.ServiceAccounts;
using Navarch.ApiServer.Registry.Services;
using Navarch.ApiServer.ServiceAccounts;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// Where the built-in kinds' own storage code is registered — the one list to extend when a kind gains hooks or a
/// subresource (the code itself lives in the kind's folder).
/// </summary>
internal static class BuiltInRegistry
{
    /// <summary>The store hooks of the kinds whose storage is not purely generic, by group/resource.</summary>
    public static IReadOnlyDictionary<string, StoreHooks> Hooks(IStore store, ServiceAllocator allocator, TimeProvider? time = null)
    {
        var events = new EventStoreHooks();
        return new Dictionary<string, StoreHooks>(StringComparer.Ordinal)
        {
            ["pods"] = new PodStoreHooks(),
            ["services"] = new ServiceStoreHooks(store, allocator),
            ["namespaces"] = new NamespaceStoreHooks(),
            ["events"] = events,
            ["events.events.k8s.io"] = events,
            ["customresourcedefinitions.apiextensions.k8s.io"] = new CustomResourceDefinitionStoreHooks(time ?? TimeProvider.System),
            // kube-apiserver's registries with ReturnDeletedObject (their DELETE answers the object in the OpenAPI too).
            ["serviceaccounts"] = StoreHooks.ReturningDeletedObject,
            ["podtemplates"] = StoreHooks.ReturningDeletedObject,
            ["persistentvolumeclaims"] = StoreHooks.ReturningDeletedObject,
            ["persistentvolumes"] = StoreHooks.ReturningDeletedObject,
            ["resourcequotas"] = StoreHooks.ReturningDeletedObject,
            ["storageclasses.storage.k8s.io"] = StoreHooks.ReturningDeletedObject,
            ["csidrivers.storage.k8s.io"] = StoreHooks.ReturningDeletedObject,
            ["csinodes.storage.k8s.io"] = StoreHooks.ReturningDeletedObject,
            ["volumeattachments.storage.k8s.io"] = StoreHooks.ReturningDeletedObject,
        };
    }

    /// <summary>
    /// The REST storage of the subresources, and of the resources whose storage is not the generic store alone: the
    /// RBAC kinds (escalation checks against <paramref name="authorizer"/> and <paramref name="rbac"/>) and the reviews.
    /// </summary>
    public static SubresourceRegistry Subresources(
        StoreRegistry stores,
        KubeletProxy kubelets,
        ServiceAccountTokens tokens,
        IAuthorizer authorizer,
        IRuleResolver rules,
        RbacRuleResolver rbac,
        Http.Authentication authentication,
        ResourceMetrics.ResourceMetricsScraper resourceMetrics,
        Navarch.ApiServer.ContainerLogs.ContainerLogStore containerLogs,
        TimeProvider time)
    {
        var locations = new KubeletLocations(stores, kubelets);
        var exec = new ExecRest(locations);
        var proxy = new ProxyRest();
        var escalation = new EscalationCheck(authorizer, rbac);
        var roles = new RolePolicy(escalation);
        var bindings = new BindingPolicy(escalation);
        var signers = new SignerAuthorization(authorizer);
        PolicyBasedRest Rbac(string plural, RbacWritePolicy policy) => new(stores.For("rbac.authorization.k8s.io", "v1", plural), policy);
        return new SubresourceRegistry(new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["roles.rbac.authorization.k8s.io"] = Rbac("roles", roles),
            ["clusterroles.rbac.authorization.k8s.io"] = Rbac("clusterroles", roles),
            ["rolebindings.rbac.authorization.k8s.io"] = Rbac("rolebindings", bindings),
            ["clusterrolebindings.rbac.authorization.k8s.io"] = Rbac("clusterrolebindings", bindings),
            ["tokenreviews.authentication.k8s.io"] = new TokenReviewRest(authentication),
            ["selfsubjectreviews.authentication.k8s.io"] = new SelfSubjectReviewRest(time),
            ["selfsubjectaccessreviews.authorization.k8s.io"] = new SelfSubjectAccessReviewRest(authorizer),
            ["selfsubjectrulesreviews.authorization.k8s.io"] = new SelfSubjectRulesReviewRest(rules),
            ["subjectaccessreviews.authorization.k8s.io"] = new SubjectAccessReviewRest(authorizer),
            ["localsubjectaccessreviews.authorization.k8s.io"] = new LocalSubjectAccessReviewRest(authorizer),
            ["certificatesigningrequests.certificates.k8s.io"] = new CertificateSigningRequestRest(stores.For("certificates.k8s.io", "v1", "certificatesigningrequests")),
            ["certificatesigningrequests.certificates.k8s.io/status"] = new CsrSubresourceRest(CsrSubresource.Status, signers),
            ["certificatesigningrequests.certificates.k8s.io/approval"] = new CsrSubresourceRest(CsrSubresource.Approval, signers),
            ["*/status"] = new StatusRest(),
            ["*/scale"] = new ScaleRest(),
            ["pods/binding"] = new BindingRest(time),
            ["pods/eviction"] = new EvictionRest(stores, time),
            ["pods/ephemeralcontainers"] = new EphemeralContainersRest(),
            ["pods/log"] = new LogRest(locations, new StoredPodLogs(containerLogs, time)),
            ["pods/exec"] = exec,
            ["pods/attach"] = exec,
            ["pods/portforward"] = exec,
            ["pods/proxy"] = proxy,
            ["services/proxy"] = proxy,
            ["nodes/proxy"] = proxy,
            ["serviceaccounts/token"] = new TokenRest(tokens),
            ["namespaces/finalize"] = new FinalizeRest(),
            ["componentstatuses"] = new ComponentStatuses.ComponentStatusRest(stores, time),
            ["nodes.metrics.k8s.io"] = new Metrics.NodeMetricsRest(stores, resourceMetrics, time),
            ["pods.metrics.k8s.io"] = new Metrics.PodMetricsRest(stores, resourceMetrics, time),
            ["containerlogs.logging.navarch.io"] = new ContainerLogs.ContainerLogRest(containerLogs, time),
            ["containerlogbatches.logging.navarch.io"] = new ContainerLogs.ContainerLogBatchRest(containerLogs),
        });
    }
}
