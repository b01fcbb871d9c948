using k8s.Models;
using static Navarch.ApiServer.Authorization.PolicyRuleBuilder;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// Kubernetes' bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go): the default ClusterRoles and
/// ClusterRoleBindings the API server reconciles at every start (<see cref="BootstrapPolicyReconciler"/>), labelled
/// <c>kubernetes.io/bootstrapping=rbac-defaults</c> and annotated <c>rbac.authorization.kubernetes.io/autoupdate</c>.
/// The user-facing <c>admin</c>, <c>edit</c> and <c>view</c> are aggregated from the ClusterRoles labelled
/// <c>rbac.authorization.k8s.io/aggregate-to-*</c> (the <c>system:aggregate-to-*</c> ones hold Kubernetes' rules), so
/// that custom resources can join them. <c>system:node</c> holds the Node authorizer's <see cref="Node.NodeRules"/> and is
/// bound to no one; agents' proxies are <c>system:kube-proxy</c> (<c>system:node-proxier</c>).
/// </summary>
internal static class BootstrapPolicy
{
    /// <summary>The label every default object carries.</summary>
    public const string BootstrappingLabel = "kubernetes.io/bootstrapping";

    /// <summary>The annotation that lets reconciliation add what is missing (unless set to "false").</summary>
    public const string AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";

    private const string AggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin";
    private const string AggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit";
    private const string AggregateToView = "rbac.authorization.k8s.io/aggregate-to-view";

    private const string Legacy = "";
    private const string Apps = "apps";
    private const string Authentication = "authentication.k8s.io";
    private const string AuthorizationGroup = "authorization.k8s.io";
    private const string Autoscaling = "autoscaling";
    private const string Batch = "batch";
    private const string Certificates = "certificates.k8s.io";
    private const string Coordination = "coordination.k8s.io";
    private const string Discovery = "discovery.k8s.io";
    private const string Extensions = "extensions";
    private const string Networking = "networking.k8s.io";
    private const string Policy = "policy";
    private const string RbacGroup = "rbac.authorization.k8s.io";
    private const string Storage = "storage.k8s.io";

    // Navarch's own: what an agent's network policy controller reads (k3s gives its kube-router the same through its
    // controller identity); bound to the agents' system:kube-proxy, which runs it beside the proxy.
    private const string NetworkPolicyController = "system:navarch:network-policy-controller";

    // Navarch's own: what an agent's local-path provisioner does (k3s runs Rancher's with its own service account);
    // bound to the agents' system:kube-proxy too, the agent's controller identity.
    private const string LocalPathProvisioner = "system:navarch:local-path-provisioner";

    // Navarch's own: what an agent does to ship its containers' logs to the central log store; bound to every node
    // (the batch REST keeps each node to its own name).
    private const string LogShipper = "system:navarch:log-shipper";
    private const string Logging = "logging.navarch.io";

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];
    private static readonly string[] ReadWrite = [.. Read, .. Write];
    private static readonly string[] ReadUpdate = ["get", "list", "watch", "update", "patch"];

    /// <summary>The ClusterRoles, with the controllers' (<see cref="ControllerPolicy"/>).</summary>
    public static IEnumerable<V1ClusterRole> ClusterRoles()
    {
        yield return Role("cluster-admin", [NewRule("*").Groups("*").Resources("*"), NewRule("*").Urls("*")]);
        yield return Role("system:discovery", [NewRule("get").Urls("/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*")]);
        yield return Role("system:monitoring", [NewRule("get").Urls("/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*")]);
        yield return Role("system:basic-user",
        [
            NewRule("create").Groups(AuthorizationGroup).Resources("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
            NewRule("create").Groups(Authentication).Resources("selfsubjectreviews"),
        ]);
        yield return Role("system:public-info-viewer", [NewRule("get").Urls("/livez", "/readyz", "/healthz", "/version", "/version/")]);

        yield return Aggregated("admin", AggregateToAdmin);
        yield return Aggregated("edit", AggregateToEdit, AggregateToAdmin);
        yield return Aggregated("view", AggregateToView, AggregateToEdit);
        yield return Role("system:aggregate-to-admin",
        [
            NewRule("create").Groups(AuthorizationGroup).Resources("localsubjectaccessreviews"),
            NewRule(ReadWrite).Groups(RbacGroup).Resources("roles", "rolebindings"),
        ], AggregateToAdmin);
        // edit does not grant the powers that are the system's or a namespace admin's: /status, quota, limits,
        // endpoints, endpoint slices, leases.
        yield return Role("system:aggregate-to-edit",
        [
            NewRule(Read).Groups(Legacy).Resources("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
            NewRule("impersonate").Groups(Legacy).Resources("serviceaccounts"),
            NewRule(Write).Groups(Legacy).Resources("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
            NewRule("create").Groups(Legacy).Resources("pods/eviction"),
            NewRule(Write).Groups(Legacy).Resources("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events"),
            NewRule("create").Groups(Legacy).Resources("serviceaccounts/token"),
            NewRule(Write).Groups(Apps).Resources("statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"),
            NewRule(Write).Groups(Autoscaling).Resources("horizontalpodautoscalers"),
            NewRule(Write).Groups(Batch).Resources("jobs", "cronjobs"),
            NewRule(Write).Groups(Extensions).Resources("daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
            NewRule(Write).Groups(Policy).Resources("poddisruptionbudgets"),
            NewRule(Write).Groups(Networking).Resources("networkpolicies", "ingresses"),
        ], AggregateToEdit);
        yield return Role("system:aggregate-to-view",
        [
            NewRule(Read).Groups(Legacy).Resources("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
            NewRule(Read).Groups(Legacy).Resources("limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"),
            // Reading namespaces at the namespace scope means reading this one: a sign of which namespaces one may use.
            NewRule(Read).Groups(Legacy).Resources("namespaces"),
            NewRule(Read).Groups(Discovery).Resources("endpointslices"),
            NewRule(Read).Groups(Apps).Resources("controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale"),
            NewRule(Read).Groups(Autoscaling).Resources("horizontalpodautoscalers", "horizontalpodautoscalers/status"),
            NewRule(Read).Groups(Batch).Resources("jobs", "cronjobs", "cronjobs/status", "jobs/status"),
            NewRule(Read).Groups(Extensions).Resources("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale", "networkpolicies"),
            NewRule(Read).Groups(Policy).Resources("poddisruptionbudgets", "poddisruptionbudgets/status"),
            NewRule(Read).Groups(Networking).Resources("networkpolicies", "ingresses", "ingresses/status"),
            // The central log store's lines: whoever may read a namespace's pods/log may read what outlived its pods.
            NewRule("list").Groups(Logging).Resources("containerlogs"),
        ], AggregateToView);

        yield return Role("system:heapster", [NewRule(Read).Groups(Legacy).Resources("events", "pods", "nodes", "namespaces"), NewRule(Read).Groups(Extensions).Resources("deployments")]);
        // The Node authorizer's rules (Kubernetes' NodeRules), bound to no one since Kubernetes 1.8: nodes are
        // authorized by the Node authorizer, which narrows these to their own objects.
        yield return Role("system:node", [.. Node.NodeRules.Rules]);
        yield return Role("system:node-problem-detector", [NewRule("get").Groups(Legacy).Resources("nodes"), NewRule("patch").Groups(Legacy).Resources("nodes/status"), ControllerPolicy.EventsRule]);
        yield return Role("system:kubelet-api-admin",
        [
            NewRule(Read).Groups(Legacy).Resources("nodes"),
            NewRule("proxy").Groups(Legacy).Resources("nodes"),
            NewRule("*").Groups(Legacy).Resources("nodes/proxy", "nodes/metrics", "nodes/spec", "nodes/stats", "nodes/log"),
        ]);
        yield return Role("system:node-bootstrapper", [NewRule("create", "get", "list", "watch").Groups(Certificates).Resources("certificatesigningrequests")]);
        yield return Role("system:auth-delegator",
        [
            NewRule("create").Groups(Authentication).Resources("tokenreviews"),
            NewRule("create").Groups(AuthorizationGroup).Resources("subjectaccessreviews"),
        ]);
        yield return Role("system:kube-aggregator", [NewRule(Read).Groups(Legacy).Resources("services", "endpoints")]);
        yield return Role("system:kube-controller-manager",
        [
            ControllerPolicy.EventsRule,
            NewRule("create").Groups(Coordination).Resources("leases"),
            NewRule("get", "update").Groups(Coordination).Resources("leases").Names("kube-controller-manager"),
            NewRule("create").Groups(Legacy).Resources("secrets", "serviceaccounts"),
            NewRule("delete").Groups(Legacy).Resources("secrets"),
            NewRule("get").Groups(Legacy).Resources("namespaces", "secrets", "serviceaccounts", "configmaps"),
            NewRule("update").Groups(Legacy).Resources("secrets", "serviceaccounts"),
            NewRule("create").Groups(Authentication).Resources("tokenreviews"),
            NewRule("create").Groups(AuthorizationGroup).Resources("subjectaccessreviews"),
            // Every shared informer.
            NewRule("list", "watch").Groups("*").Resources("*"),
            NewRule("create").Groups(Legacy).Resources("serviceaccounts/token"),
        ]);
        yield return Role("system:kube-dns", [NewRule("list", "watch").Groups(Legacy).Resources("endpoints", "services")]);
        yield return Role("system:persistent-volume-provisioner",
        [
            NewRule("get", "list", "watch", "create", "delete").Groups(Legacy).Resources("persistentvolumes"),
            NewRule("get", "list", "watch", "update").Groups(Legacy).Resources("persistentvolumeclaims"),
            NewRule(Read).Groups(Storage).Resources("storageclasses"),
            NewRule("watch").Groups(Legacy).Resources("events"),
            ControllerPolicy.EventsRule,
        ]);
        yield return Role("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [NewRule("create").Groups(Certificates).Resources("certificatesigningrequests/nodeclient")]);
        yield return Role("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [NewRule("create").Groups(Certificates).Resources("certificatesigningrequests/selfnodeclient")]);
        yield return Role("system:volume-scheduler",
        [
            NewRule(ReadUpdate).Groups(Legacy).Resources("persistentvolumes"),
            NewRule(Read).Groups(Storage).Resources("storageclasses"),
            NewRule(ReadUpdate).Groups(Legacy).Resources("persistentvolumeclaims"),
        ]);
        foreach ((string approver, string signer) in new[]
        {
            ("legacy-unknown-approver", "kubernetes.io/legacy-unknown"),
            ("kubelet-serving-approver", "kubernetes.io/kubelet-serving"),
            ("kube-apiserver-client-approver", "kubernetes.io/kube-apiserver-client"),
            ("kube-apiserver-client-kubelet-approver", "kubernetes.io/kube-apiserver-client-kubelet"),
        })
        {
            yield return Role("system:certificates.k8s.io:" + approver, [NewRule("approve").Groups(Certificates).Resources("signers").Names(signer)]);
        }

        yield return Role("system:service-account-issuer-discovery", [NewRule("get").Urls("/.well-known/openid-configuration", "/openid/v1/jwks")]);
        yield return Role(NetworkPolicyController,
        [
            NewRule(Read).Groups(Legacy).Resources("pods", "namespaces"),
            NewRule(Read).Groups(Networking).Resources("networkpolicies"),
            NewRule(Read).Groups(Discovery).Resources("endpointslices"),
        ]);
        yield return Role(LogShipper, [NewRule("create").Groups(Logging).Resources("containerlogbatches")]);
        yield return Role(LocalPathProvisioner,
        [
            NewRule(ReadWrite).Groups(Legacy).Resources("persistentvolumes"),
            NewRule(Read).Groups(Legacy).Resources("persistentvolumeclaims"),
            NewRule("update", "patch").Groups(Legacy).Resources("persistentvolumeclaims/status"),
            NewRule(Read).Groups(Storage).Resources("storageclasses"),
            ControllerPolicy.EventsRule,

            // The CSI sidecars' attacher and provisioner the agents run beside it (external-attacher-runner).
            NewRule(Read).Groups(Storage).Resources("csinodes"),
            NewRule("get", "list", "watch", "update", "patch").Groups(Storage).Resources("volumeattachments"),
            NewRule("update", "patch").Groups(Storage).Resources("volumeattachments/status"),
        ]);
        yield return Role("system:node-proxier",
        [
            NewRule("list", "watch").Groups(Legacy).Resources("services", "endpoints"),
            NewRule(Read).Groups(Legacy).Resources("nodes"),
            ControllerPolicy.EventsRule,
            NewRule("list", "watch").Groups(Discovery).Resources("endpointslices"),
        ]);
        yield return Role("system:kube-scheduler",
        [
            ControllerPolicy.EventsRule,
            NewRule("create").Groups(Coordination).Resources("leases"),
            NewRule("get", "update").Groups(Coordination).Resources("leases").Names("kube-scheduler"),
            NewRule(Read).Groups(Legacy).Resources("nodes"),
            NewRule("get", "list", "watch", "delete").Groups(Legacy).Resources("pods"),
            NewRule("create").Groups(Legacy).Resources("pods/binding", "bindings"),
            NewRule("patch", "update").Groups(Legacy).Resources("pods/status"),
            NewRule(Read).Groups(Legacy).Resources("services", "replicationcontrollers"),
            NewRule(Read).Groups(Apps, Extensions).Resources("replicasets"),
            NewRule(Read).Groups(Apps).Resources("statefulsets"),
            NewRule(Read).Groups(Policy).Resources("poddisruptionbudgets"),
            NewRule(Read).Groups(Legacy).Resources("persistentvolumeclaims", "persistentvolumes"),
            NewRule("create").Groups(Authentication).Resources("tokenreviews"),
            NewRule("create").Groups(AuthorizationGroup).Resources("subjectaccessreviews"),
            NewRule(Read).Groups(Storage).Resources("csinodes"),
            NewRule(Read).Groups(Legacy).Resources("namespaces"),
            NewRule(Read).Groups(Storage).Resources("csidrivers"),
            NewRule(Read).Groups(Storage).Resources("csistoragecapacities"),
        ]);

        foreach (V1ClusterRole role in ControllerPolicy.ClusterRoles())
        {
            yield return role;
        }
    }

    /// <summary>The ClusterRoleBindings, with the controllers'.</summary>
    public static IEnumerable<V1ClusterRoleBinding> ClusterRoleBindings()
    {
        yield return Binding("cluster-admin", RbacAuthorizer.Superusers);
        yield return Binding("system:monitoring", Group("system:monitoring"));
        yield return Binding("system:discovery", Group("system:authenticated"));
        yield return Binding("system:basic-user", Group("system:authenticated"));
        yield return Binding("system:public-info-viewer", Group("system:authenticated"), Group("system:unauthenticated"));
        yield return Binding("system:node-proxier", User("system:kube-proxy"));
        yield return Binding(NetworkPolicyController, User("system:kube-proxy"));
        yield return Binding(LocalPathProvisioner, User("system:kube-proxy"));
        yield return Binding(LogShipper, Group("system:nodes"));
        yield return Binding("system:kube-controller-manager", User("system:kube-controller-manager"));
        yield return Binding("system:kube-dns", ServiceAccount("kube-system", "kube-dns"));
        yield return Binding("system:kube-scheduler", User("system:kube-scheduler"));
        yield return Binding("system:volume-scheduler", User("system:kube-scheduler"));
        yield return Binding("system:node");
        // As kubeadm's node-autoapprove-certificate-rotation: a kubelet may renew its own client certificate through
        // a CSR the csrapproving controller approves (Kubernetes' bootstrap policy binds this role to no one).
        yield return Binding("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", Group("system:nodes"));
        // Every workload may read the service account issuer's discovery documents, as in Kubernetes.
        yield return Binding("system:service-account-issuer-discovery", Group("system:serviceaccounts"));
        foreach (V1ClusterRoleBinding binding in ControllerPolicy.ClusterRoleBindings())
        {
            yield return binding;
        }
    }

    /// <summary>The labels and annotation every default object carries, plus <paramref name="labels"/> set to "true".</summary>
    public static V1ObjectMeta Meta(string name, params string[] labels)
    {
        var meta = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { [BootstrappingLabel] = "rbac-defaults" },
            Annotations = new Dictionary<string, string> { [AutoUpdateAnnotation] = "true" },
        };
        foreach (string label in labels)
        {
            meta.Labels[label] = "true";
        }

        return meta;
    }

    /// <summary>A default ClusterRoleBinding of the ClusterRole of the same name.</summary>
    public static V1ClusterRoleBinding Binding(string name, params Rbacv1Subject[] subjects) => new()
    {
        Metadata = Meta(name),
        RoleRef = new V1RoleRef { ApiGroup = RbacGroup, Kind = "ClusterRole", Name = name },
        Subjects = subjects,
    };

    public static Rbacv1Subject ServiceAccount(string ns, string name) => new() { Kind = "ServiceAccount", Name = name, NamespaceProperty = ns };

    private static Rbacv1Subject Group(string name) => new() { ApiGroup = RbacGroup, Kind = "Group", Name = name };

    private static Rbacv1Subject User(string name) => new() { ApiGroup = RbacGroup, Kind = "User", Name = name };

    private static V1PolicyRule Rule(string group, string[] resources, string[] verbs) => new() { ApiGroups = [group], Resources = resources, Verbs = verbs };

    private static V1ClusterRole Role(string name, List<V1PolicyRule> rules, params string[] labels) => new() { Metadata = Meta(name, labels), Rules = rules };

    /// <summary>A role whose rules are gathered from the ClusterRoles labelled <paramref name="aggregateFrom"/>.</summary>
    private static V1ClusterRole Aggregated(string name, string aggregateFrom, params string[] labels) => new()
    {
        Metadata = Meta(name, labels),
        AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [aggregateFrom] = "true" } }] },
    };

    private static V1ClusterRoleBinding Binding(string name, string group) => Binding(name, Group(group));
}
