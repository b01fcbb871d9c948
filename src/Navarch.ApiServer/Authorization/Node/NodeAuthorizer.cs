namespace Navarch.ApiServer.Authorization.Node;

/// <summary>
/// Kubernetes' Node authorizer (plugin/pkg/auth/authorizer/node/node_authorizer.go, with AuthorizeNodeWithSelectors as
/// in 1.32) for users that are nodes (<see cref="NodeIdentity"/>); anyone else gets no opinion. A node may read the
/// Secrets, ConfigMaps, PersistentVolumeClaims and PersistentVolumes, and ask tokens of the service accounts, that
/// the pods bound to it refer to (<see cref="Graph"/>); read its own Node and only its own pods (a list or watch must
/// select <c>spec.nodeName</c>); write Nodes, pod status and evictions, mirror pods and its own Lease in
/// <c>kube-node-lease</c> (NodeRestriction admission narrows the writes to its own objects); and otherwise what
/// <see cref="NodeRules"/> grant every node. It never denies outright: what it does not allow goes on to RBAC.
/// </summary>
internal sealed class NodeAuthorizer(Graph graph) : IAuthorizer
{
    public ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Authorize(request));

    /// <summary>Null to allow; otherwise the reason there is no opinion.</summary>
    public string? Authorize(RequestAttributes request)
    {
        if (!NodeIdentity.TryGetNodeName(request.User, out string node))
        {
            return "";
        }

        if (node.Length == 0)
        {
            return $"unknown node for user \"{request.User.Name}\"";
        }

        if (request.NonResourcePath is null)
        {
            switch (request.Group, request.Resource)
            {
                case ("", "secrets"):
                    return ReadNamespacedObject(node, VertexType.Secret, request);
                case ("", "configmaps"):
                    return ReadNamespacedObject(node, VertexType.ConfigMap, request);
                case ("", "persistentvolumeclaims"):
                    return request.Subresource == "status" ? StatusUpdate(node, request) : Get(node, VertexType.PersistentVolumeClaim, request);
                case ("", "persistentvolumes"):
                    return Get(node, VertexType.PersistentVolume, request);
                case ("", "serviceaccounts"):
                    return CreateToken(node, request);
                case ("coordination.k8s.io", "leases"):
                    return Lease(node, request);
                case ("", "nodes"):
                    return Node(node, request);
                case ("", "pods"):
                    return Pod(node, request);
                case ("storage.k8s.io", "volumeattachments"):
                    return Get(node, VertexType.VolumeAttachment, request);
            }
        }

        return Rbac.RuleMatching.AnyAllows(NodeRules.Rules, request) ? null : "";
    }

    private string? StatusUpdate(string node, RequestAttributes request) =>
        request.Verb is not ("update" or "patch") ? "can only get/update/patch this type" : Related(node, VertexType.PersistentVolumeClaim, request);

    private string? Get(string node, VertexType type, RequestAttributes request) =>
        request.Verb != "get" ? "can only get individual resources of this type"
        : request.Subresource is not null ? "cannot get subresource"
        : Related(node, type, request);

    private string? ReadNamespacedObject(string node, VertexType type, RequestAttributes request) =>
        request.Verb is not ("get" or "list" or "watch") ? "can only read resources of this type"
        : request.Subresource is not null ? "cannot read subresource"
        : string.IsNullOrEmpty(request.Namespace) ? "can only read namespaced object of this type"
        : Related(node, type, request);

    private string? CreateToken(string node, RequestAttributes request) =>
        request.Verb != "create" || string.IsNullOrEmpty(request.Name) ? "can only create tokens for individual service accounts"
        : request.Subresource != "token" ? "can only create token subresource of serviceaccount"
        : Related(node, VertexType.ServiceAccount, request);

    private static string? Lease(string node, RequestAttributes request) =>
        request.Verb is not ("get" or "create" or "update" or "patch" or "delete") ? "can only get, create, update, patch, or delete a node lease"
        : request.Namespace != "kube-node-lease" ? "can only access leases in the \"kube-node-lease\" system namespace"
        // A create carries no name here; NodeRestriction checks the object's.
        : request.Verb != "create" && request.Name != node ? "can only access node lease with the same name as the requesting node"
        : null;

    private static string? Node(string node, RequestAttributes request) => (request.Subresource, request.Verb) switch
    {
        (null, "create" or "update" or "patch") => null,

        // By name, not through the graph, so a kubelet can read its Node before it exists.
        (null, "get" or "list" or "watch") => string.IsNullOrEmpty(request.Name)
            ? $"node '{node}' cannot read all nodes, only its own Node object"
            : request.Name == node ? null : $"node '{node}' cannot read '{request.Name}', only its own Node object",
        ("status", "update" or "patch") => null,
        _ => "",
    };

    private string? Pod(string node, RequestAttributes request) => (request.Subresource, request.Verb) switch
    {
        (null, "get") => Get(node, VertexType.Pod, request),
        (null, "list" or "watch") => request.Fields?.RequiresExactMatch("spec.nodeName") == node ? null
            : !string.IsNullOrEmpty(request.Name) ? Related(node, VertexType.Pod, request)
            : "can only list/watch pods with spec.nodeName field selector",
        (null, "create" or "delete") => null,
        ("status", "update" or "patch") => null,
        ("eviction", "create") => null,
        _ => "",
    };

    private string? Related(string node, VertexType type, RequestAttributes request) =>
        string.IsNullOrEmpty(request.Name) ? "No Object name found"
        : graph.HasPathFrom(node, type, request.Namespace ?? "", request.Name) ? null
        : $"no relationship found between node '{node}' and this object";
}
