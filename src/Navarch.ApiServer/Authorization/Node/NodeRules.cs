using k8s.Models;

namespace Navarch.ApiServer.Authorization.Node;

/// <summary>
/// What every node may do beyond what the <see cref="Graph"/> grants (Kubernetes' bootstrappolicy.NodeRules), and the
/// rules of the <c>system:node</c> ClusterRole. The <see cref="NodeAuthorizer"/> applies them to node users itself;
/// the role is bound to no one, as in Kubernetes since 1.8 (bound to <c>system:nodes</c>, its secret and configmap
/// reads would hand every node every Secret). The NodeRestriction admission plugin narrows the writes to the node's
/// own objects.
/// </summary>
internal static class NodeRules
{
    private static readonly string[] Read = ["get", "list", "watch"];

    /// <summary>The rules.</summary>
    public static IReadOnlyList<V1PolicyRule> Rules { get; } =
    [
        // Checking API access: these creates change nothing.
        Rule("authentication.k8s.io", ["tokenreviews"], "create"),
        Rule("authorization.k8s.io", ["subjectaccessreviews", "localsubjectaccessreviews"], "create"),

        // The Service environment variables.
        Rule("", ["services"], Read),

        // Registering the Node and reporting its status (NodeRestriction: only its own).
        Rule("", ["nodes"], "create", "get", "list", "watch"),
        Rule("", ["nodes/status"], "update", "patch"),
        Rule("", ["nodes"], "update", "patch"),
        Rule("", ["events"], "create", "update", "patch"),

        // Its pods (the Node authorizer narrows reads to pods bound to it), mirror pods, their status and evictions.
        Rule("", ["pods"], Read),
        Rule("", ["pods"], "create", "delete"),
        Rule("", ["pods/status"], "update", "patch"),
        Rule("", ["pods/eviction"], "create"),

        // Volumes and env; the Node authorizer narrows these to objects its pods refer to.
        Rule("", ["secrets", "configmaps"], Read),
        Rule("", ["persistentvolumeclaims", "persistentvolumes"], "get"),
        Rule("", ["endpoints"], "get"),
        Rule("certificates.k8s.io", ["certificatesigningrequests"], "create", "get", "list", "watch"),
        Rule("coordination.k8s.io", ["leases"], "get", "create", "update", "patch", "delete"),
        Rule("storage.k8s.io", ["volumeattachments"], "get"),
        Rule("", ["persistentvolumeclaims/status"], "get", "update", "patch"),
        Rule("", ["serviceaccounts/token"], "create"),
        Rule("storage.k8s.io", ["csidrivers"], Read),
        Rule("storage.k8s.io", ["csinodes"], "get", "create", "update", "patch", "delete"),
        Rule("node.k8s.io", ["runtimeclasses"], Read),
    ];

    private static V1PolicyRule Rule(string group, string[] resources, params string[] verbs) =>
        new() { ApiGroups = [group], Resources = resources, Verbs = verbs };
}
