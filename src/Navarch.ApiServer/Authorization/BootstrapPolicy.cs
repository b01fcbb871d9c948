using k8s.Models;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// The default ClusterRoles and ClusterRoleBindings the API server creates at start when they are missing (labelled
/// <c>kubernetes.io/bootstrapping=rbac-defaults</c>, as Kubernetes does): cluster-admin for <c>system:masters</c>,
/// the user-facing admin / edit / view roles (written out, not aggregated), and <c>system:node</c> for the agents'
/// <c>system:nodes</c> group — broader than Kubernetes' (there is no Node authorizer to narrow it to a node's own pods) —
/// and <c>system:navarch:network-policy-controller</c> for the agents' network policy controllers.
/// </summary>
internal static class BootstrapPolicy
{
    private const string NetworkPolicyController = "system:navarch:network-policy-controller";
    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];

    // What view may read in a namespace; edit may also change these (and secrets).
    private static readonly (string Group, string[] Resources)[] Workloads =
    [
        ("", ["pods", "pods/log", "pods/status", "services", "services/status", "endpoints", "configmaps", "persistentvolumeclaims", "persistentvolumeclaims/status", "replicationcontrollers", "serviceaccounts", "events", "limitranges", "resourcequotas", "resourcequotas/status", "namespaces/status"]),
        ("apps", ["deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status", "daemonsets", "daemonsets/status", "controllerrevisions"]),
        ("batch", ["jobs", "jobs/status", "cronjobs", "cronjobs/status"]),
        ("autoscaling", ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        ("policy", ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        ("networking.k8s.io", ["ingresses", "ingresses/status", "networkpolicies"]),
        ("discovery.k8s.io", ["endpointslices"]),
        ("events.k8s.io", ["events"]),
        ("coordination.k8s.io", ["leases"]),
    ];

    /// <summary>The ClusterRoles.</summary>
    public static IEnumerable<V1ClusterRole> ClusterRoles()
    {
        yield return Role("cluster-admin", [new V1PolicyRule { ApiGroups = ["*"], Resources = ["*"], Verbs = ["*"] }, new V1PolicyRule { NonResourceURLs = ["*"], Verbs = ["*"] }]);
        List<V1PolicyRule> view = [.. Workloads.Select(w => Rule(w.Group, w.Resources, Read)), Rule("", ["namespaces"], ["get"])];
        yield return Role("view", view);
        List<V1PolicyRule> edit =
        [
            .. view,
            Rule("", ["secrets"], Read),
            .. Workloads.Select(w => Rule(w.Group, w.Resources.Where(r => !r.EndsWith("/status", StringComparison.Ordinal) && r != "pods/log").ToArray(), Write)),
            Rule("", ["secrets", "pods/exec", "pods/attach", "pods/portforward", "pods/eviction", "serviceaccounts/token"], ["create", "delete", "deletecollection", "patch", "update", "get"]),
        ];
        yield return Role("edit", edit);
        yield return Role("admin", [.. edit, Rule("rbac.authorization.k8s.io", ["roles", "rolebindings"], [.. Read, .. Write])]);
        yield return Role("system:node",
        [
            new V1PolicyRule { ApiGroups = ["*"], Resources = ["*"], Verbs = Read },
            Rule("", ["nodes", "nodes/status", "pods", "pods/status", "pods/eviction", "events", "serviceaccounts/token"], ["create", "delete", "patch", "update"]),
            Rule("events.k8s.io", ["events"], ["create", "patch", "update"]),
            Rule("coordination.k8s.io", ["leases"], ["create", "delete", "patch", "update"]),
            Rule("discovery.k8s.io", ["endpointslices"], ["create", "delete", "patch", "update"]),
        ]);

        // What an agent's network policy controller reads (k3s grants its kube-router the same through
        // system:k3s-controller); a role of its own, so it holds whatever system:node becomes.
        yield return Role(NetworkPolicyController,
        [
            Rule("", ["pods", "namespaces"], Read),
            Rule("networking.k8s.io", ["networkpolicies"], Read),
            Rule("discovery.k8s.io", ["endpointslices"], Read),
        ]);
    }

    /// <summary>The ClusterRoleBindings.</summary>
    public static IEnumerable<V1ClusterRoleBinding> ClusterRoleBindings()
    {
        yield return Binding("cluster-admin", RbacAuthorizer.Superusers);
        yield return Binding("system:node", "system:nodes");
        yield return Binding(NetworkPolicyController, "system:nodes");
    }

    private static V1PolicyRule Rule(string group, string[] resources, string[] verbs) => new() { ApiGroups = [group], Resources = resources, Verbs = verbs };

    private static V1ObjectMeta Meta(string name) => new()
    {
        Name = name,
        Labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
        Annotations = new Dictionary<string, string> { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
    };

    private static V1ClusterRole Role(string name, List<V1PolicyRule> rules) => new() { Metadata = Meta(name), Rules = rules };

    private static V1ClusterRoleBinding Binding(string name, string group) => new()
    {
        Metadata = Meta(name),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = name },
        Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = group }],
    };
}
