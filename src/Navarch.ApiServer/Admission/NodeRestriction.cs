using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Pods;
using Navarch.Api.Resources;
using Navarch.ApiServer.Authorization.Node;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// Kubernetes' NodeRestriction admission plugin (plugin/pkg/admission/noderestriction): what the Node authorizer lets
/// every node write, narrowed to the node's own objects. A node may create and update only its own Node — not its
/// taints, nor labels in kubernetes.io / k8s.io outside the kubelet's own (and never <c>node-restriction.kubernetes.io/</c>
/// ones), so it cannot steer workloads to itself —, only its own Lease in <c>kube-node-lease</c>, the status of pods
/// bound to it (not their labels), delete or evict only those pods, create only mirror pods bound to itself that refer
/// to nothing, only status fields of claims, and tokens only bound to a pod of its own. Other users pass untouched.
/// </summary>
internal sealed class NodeRestriction(IStore store, ResourceCatalog catalog) : IAdmissionPlugin
{
    private const string NodeRestrictionLabelNamespace = "node-restriction.kubernetes.io";

    // The labels a kubelet sets on its own Node (k8s.io/kubelet's KubeletLabels), beside the kubelet.kubernetes.io and
    // node.kubernetes.io namespaces.
    private static readonly HashSet<string> KubeletLabels = new(StringComparer.Ordinal)
    {
        "kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
        "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region", "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
    };

    public string Name => "NodeRestriction";

    public bool Mutating => false;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (!NodeIdentity.TryGetNodeName(request.User, out string node))
        {
            return;
        }

        if (node.Length == 0)
        {
            throw Forbidden(request, $"could not determine node from user \"{request.User!.Name}\"");
        }

        switch (request.Resource.Group, request.Resource.Plural, request.Subresource)
        {
            case ("", "pods", null):
                await AdmitPodAsync(node, request, cancellationToken);
                break;
            case ("", "pods", "status"):
                AdmitPodStatus(node, request);
                break;
            case ("", "pods", _):
                throw Forbidden(request, $"unexpected pod subresource \"{request.Subresource}\", only 'status' and 'eviction' are allowed");
            case ("", "nodes", _):
                AdmitNode(node, request);
                break;
            case ("", "persistentvolumeclaims", "status"):
                AdmitClaimStatus(node, request);
                break;
            case ("", "persistentvolumeclaims", _):
                throw Forbidden(request, "may only update PVC status");
            case ("", "serviceaccounts", "token") when request.Operation == AdmissionOperation.Create:
                await AdmitTokenAsync(node, request, cancellationToken);
                break;
            case ("coordination.k8s.io", "leases", _):
                AdmitLease(node, request);
                break;
            case ("storage.k8s.io", "csinodes", _):
                AdmitCsiNode(node, request);
                break;
        }
    }

    private async Task AdmitPodAsync(string node, AdmissionRequest request, CancellationToken cancellationToken)
    {
        switch (request.Operation)
        {
            case AdmissionOperation.Create:
                await AdmitMirrorPodAsync(node, request, (V1Pod)request.Object!, cancellationToken);
                break;
            case AdmissionOperation.Delete:
                // Evictions arrive here too: an eviction is the pod's delete.
                if (((V1Pod)request.OldObject!).Spec?.NodeName != node)
                {
                    throw Forbidden(request, $"node \"{node}\" can only delete pods with spec.nodeName set to itself");
                }

                break;
            default:
                throw Forbidden(request, $"unexpected operation \"{Operation(request)}\", node \"{node}\" can only create and delete mirror pods");
        }
    }

    private async Task AdmitMirrorPodAsync(string node, AdmissionRequest request, V1Pod pod, CancellationToken cancellationToken)
    {
        if (pod.Metadata.Annotations?.ContainsKey(Graph.MirrorPodAnnotation) != true)
        {
            throw Forbidden(request, $"pod does not have \"{Graph.MirrorPodAnnotation}\" annotation, node \"{node}\" can only create mirror pods");
        }

        if (pod.Spec.NodeName != node)
        {
            throw Forbidden(request, $"node \"{node}\" can only create pods with spec.nodeName set to itself");
        }

        IList<V1OwnerReference> owners = pod.Metadata.OwnerReferences ?? [];
        if (owners.Count != 1)
        {
            throw Forbidden(request, owners.Count == 0
                ? $"node \"{node}\" can only create pods with an owner reference set to itself"
                : $"node \"{node}\" can only create pods with a single owner reference set to itself");
        }

        V1OwnerReference owner = owners[0];
        if (owner.ApiVersion != "v1" || owner.Kind != "Node" || owner.Name != node)
        {
            throw Forbidden(request, $"node \"{node}\" can only create pods with an owner reference set to itself");
        }

        if (owner.Controller != true)
        {
            throw Forbidden(request, $"node \"{node}\" can only create pods with a controller owner reference set to itself");
        }

        if (owner.BlockOwnerDeletion == true)
        {
            throw Forbidden(request, $"node \"{node}\" must not set blockOwnerDeletion on an owner reference");
        }

        IKubernetesObject<V1ObjectMeta> self = await ObjectCodec.ReadAsync(store, catalog.Find("", "v1", "nodes")!, null, node, cancellationToken)
            ?? throw ApiErrors.NotFound("nodes", node);
        if (owner.Uid != self.Metadata.Uid)
        {
            throw Forbidden(request, $"node {node} UID mismatch: expected {owner.Uid} got {self.Metadata.Uid}");
        }

        // A pod a node makes must grant it nothing more (the graph gives mirror pods no edges either).
        string? refused = !string.IsNullOrEmpty(pod.Spec.ServiceAccountName) ? "a service account"
            : PodReferences.SecretNames(pod).Any() ? "secrets"
            : PodReferences.ConfigMapNames(pod).Any() ? "configmaps"
            : pod.Spec.Volumes?.Any(v => v.Projected?.Sources?.Any(s => s.ClusterTrustBundle is not null) == true) == true ? "clustertrustbundles"
            : pod.Spec.Volumes?.Any(v => v.PersistentVolumeClaim is not null) == true ? "persistentvolumeclaims"
            : null;
        if (refused is not null)
        {
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference {refused}");
        }
    }

    private static void AdmitPodStatus(string node, AdmissionRequest request)
    {
        if (request.Operation != AdmissionOperation.Update)
        {
            throw Forbidden(request, $"unexpected operation \"{Operation(request)}\"");
        }

        var old = (V1Pod)request.OldObject!;
        var pod = (V1Pod)request.Object!;
        if (old.Spec?.NodeName != node)
        {
            throw Forbidden(request, $"node \"{node}\" can only update pod status for pods with spec.nodeName set to itself");
        }

        if (!SameMap(old.Metadata.Labels, pod.Metadata.Labels))
        {
            throw Forbidden(request, $"node \"{node}\" cannot update labels through pod status");
        }

        if (!JsonNode.DeepEquals(Json(old.Status?.ResourceClaimStatuses), Json(pod.Status?.ResourceClaimStatuses)))
        {
            throw Forbidden(request, $"node \"{node}\" cannot update resource claim statues");
        }
    }

    private static void AdmitNode(string node, AdmissionRequest request)
    {
        if (request.Name != node)
        {
            throw Forbidden(request, $"node \"{node}\" is not allowed to modify node \"{request.Name}\"");
        }

        if (request.Operation == AdmissionOperation.Create)
        {
            var created = (V1Node)request.Object!;
            if (created.Spec?.ConfigSource is not null)
            {
                // Kubernetes' message, "pods" and all.
                throw Forbidden(request, $"node \"{node}\" is not allowed to create pods with a non-nil configSource");
            }

            if (ForbiddenLabels(created.Metadata.Labels, null) is { Count: > 0 } labels)
            {
                throw Forbidden(request, $"node \"{node}\" is not allowed to set the following labels: {string.Join(", ", labels)}");
            }
        }
        else if (request.Operation == AdmissionOperation.Update)
        {
            var updated = (V1Node)request.Object!;
            var old = (V1Node)request.OldObject!;
            if (updated.Spec?.ConfigSource is not null && !JsonNode.DeepEquals(Json(updated.Spec.ConfigSource), Json(old.Spec?.ConfigSource)))
            {
                throw Forbidden(request, $"node \"{node}\" is not allowed to update configSource to a new non-nil configSource");
            }

            if (!JsonNode.DeepEquals(Json(EmptyAsNull(updated.Spec?.Taints)), Json(EmptyAsNull(old.Spec?.Taints))))
            {
                throw Forbidden(request, $"node \"{node}\" is not allowed to modify taints");
            }

            if (ForbiddenLabels(updated.Metadata.Labels, old.Metadata.Labels) is { Count: > 0 } labels)
            {
                throw Forbidden(request, $"is not allowed to modify labels: {string.Join(", ", labels)}");
            }
        }
    }

    /// <summary>The changed label keys a node may not set: node-restriction ones, and kubernetes.io / k8s.io ones that are not the kubelet's.</summary>
    private static List<string> ForbiddenLabels(IDictionary<string, string>? now, IDictionary<string, string>? before)
    {
        now ??= new Dictionary<string, string>();
        before ??= new Dictionary<string, string>();
        IEnumerable<string> modified = now.Where(kv => !before.TryGetValue(kv.Key, out string? v) || v != kv.Value).Select(kv => kv.Key)
            .Union(before.Where(kv => !now.TryGetValue(kv.Key, out string? v) || v != kv.Value).Select(kv => kv.Key), StringComparer.Ordinal);
        return [.. modified.Where(key =>
        {
            string ns = key.Contains('/', StringComparison.Ordinal) ? key[..key.IndexOf('/', StringComparison.Ordinal)] : "";
            bool restricted = InDomain(ns, NodeRestrictionLabelNamespace);
            bool kubernetes = InDomain(ns, "kubernetes.io") || InDomain(ns, "k8s.io");
            bool kubelet = KubeletLabels.Contains(key) || InDomain(ns, "kubelet.kubernetes.io") || InDomain(ns, "node.kubernetes.io");
            return restricted || (kubernetes && !kubelet);
        }).Order(StringComparer.Ordinal)];
    }

    private static bool InDomain(string ns, string domain) => ns == domain || ns.EndsWith("." + domain, StringComparison.Ordinal);

    private static void AdmitClaimStatus(string node, AdmissionRequest request)
    {
        if (request.Operation != AdmissionOperation.Update)
        {
            throw Forbidden(request, $"unexpected operation \"{Operation(request)}\"");
        }

        // Everything but the capacity, conditions and allocated resources of the status must stay as it is.
        static JsonNode? Comparable(IKubernetesObject<V1ObjectMeta> claim)
        {
            JsonNode? node = Json(claim);
            if (node?["metadata"] is JsonObject meta)
            {
                meta.Remove("resourceVersion");
                meta.Remove("managedFields");
            }

            if (node?["status"] is JsonObject status)
            {
                foreach (string field in new[] { "capacity", "conditions", "allocatedResourceStatuses", "allocatedResources" })
                {
                    status.Remove(field);
                }
            }

            return node;
        }

        if (!JsonNode.DeepEquals(Comparable(request.OldObject!), Comparable(request.Object!)))
        {
            throw Forbidden(request, $"node \"{node}\" is not allowed to update fields other than status.capacity and status.conditions");
        }
    }

    private async Task AdmitTokenAsync(string node, AdmissionRequest request, CancellationToken cancellationToken)
    {
        V1BoundObjectReference? bound = ((Authenticationv1TokenRequest)request.Object!).Spec?.BoundObjectRef;
        if (bound is null || bound.ApiVersion != "v1" || bound.Kind != "Pod" || string.IsNullOrEmpty(bound.Name))
        {
            throw Forbidden(request, "node requested token not bound to a pod");
        }

        if (string.IsNullOrEmpty(bound.Uid))
        {
            throw Forbidden(request, "node requested token with a pod binding without a uid");
        }

        var pod = (V1Pod?)await ObjectCodec.ReadAsync(store, catalog.Find("", "v1", "pods")!, request.Namespace, bound.Name, cancellationToken)
            ?? throw ApiErrors.NotFound("pods", bound.Name);
        if (pod.Metadata.Uid != bound.Uid)
        {
            throw Forbidden(request, $"the UID in the bound object reference ({bound.Uid}) does not match the UID in record. The object might have been deleted and then recreated");
        }

        if (pod.Spec?.NodeName != node)
        {
            throw Forbidden(request, "node requested token bound to a pod scheduled on a different node");
        }
    }

    private static void AdmitLease(string node, AdmissionRequest request)
    {
        if (request.Namespace != "kube-node-lease")
        {
            throw Forbidden(request, "can only access leases in the \"kube-node-lease\" system namespace");
        }

        string name = request.Operation == AdmissionOperation.Create ? request.Object?.Metadata?.Name ?? "" : request.Name;
        if (name != node)
        {
            throw Forbidden(request, "can only access node lease with the same name as the requesting node");
        }
    }

    private static void AdmitCsiNode(string node, AdmissionRequest request)
    {
        string name = request.Operation == AdmissionOperation.Create ? request.Object?.Metadata?.Name ?? "" : request.Name;
        if (name != node)
        {
            throw Forbidden(request, "can only access CSINode with the same name as the requesting node");
        }
    }

    private static StatusException Forbidden(AdmissionRequest request, string reason) =>
        ApiErrors.Forbidden(request.Resource.GroupResource, request.Name.Length > 0 ? request.Name : request.Object?.Metadata?.Name ?? "", reason);

    private static string Operation(AdmissionRequest request) => request.Operation.ToString().ToUpperInvariant();

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, string>()).All(kv => b!.TryGetValue(kv.Key, out string? v) && v == kv.Value);

    private static IList<T>? EmptyAsNull<T>(IList<T>? list) => list is { Count: > 0 } ? list : null;

    private static JsonNode? Json(object? value) => value is null ? null : ObjectCodec.ToNode(value);
}
