using k8s.Models;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// The default ClusterRoles and ClusterRoleBindings the API server creates at start when they are missing (labelled
/// <c>kubernetes.io/bootstrapping=rbac-defaults</c>, as Kubernetes does): cluster-admin for <c>system:masters</c>,
/// the user-facing admin / edit / view roles (written out, not aggregated), <c>system:node</c> (the Node authorizer's
/// <see cref="Node.NodeRules"/>, bound to no one) and <c>system:node-proxier</c> for the agents' proxies
/// (<c>system:kube-proxy</c>).
/// </summary>
internal static class BootstrapPolicy
{
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
        yield return Role("system:node", [.. Node.NodeRules.Rules]);
        yield return Role("system:node-proxier",
        [
            Rule("", ["services", "endpoints"], ["list", "watch"]),
            Rule("", ["nodes"], Read),
            Rule("", ["events"], ["create", "patch", "update"]),
            Rule("events.k8s.io", ["events"], ["create", "patch", "update"]),
            Rule("discovery.k8s.io", ["endpointslices"], ["list", "watch"]),
        ]);
    }

    /// <summary>The ClusterRoleBindings.</summary>
    public static IEnumerable<V1ClusterRoleBinding> ClusterRoleBindings()
    {
        yield return Binding("cluster-admin", RbacAuthorizer.Superusers);
        // Bound to no one, as in Kubernetes since 1.8: nodes get what they need from the Node authorizer.
        yield return Binding("system:node", null);
        yield return new V1ClusterRoleBinding
        {
            Metadata = Meta("system:node-proxier"),
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "system:node-proxier" },
            Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "User", Name = "system:kube-proxy" }],
        };
    }

    private static V1PolicyRule Rule(string group, string[] resources, string[] verbs) => new() { ApiGroups = [group], Resources = resources, Verbs = verbs };

    private static V1ObjectMeta Meta(string name) => new()
    {
        Name = name,
        Labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
        Annotations = new Dictionary<string, string> { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
    };

    private static V1ClusterRole Role(string name, List<V1PolicyRule> rules) => new() { Metadata = Meta(name), Rules = rules };

    private static V1ClusterRoleBinding Binding(string name, string? group) => new()
    {
        Metadata = Meta(name),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = name },
        Subjects = group is null ? [] : [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = group }],
    };
}
