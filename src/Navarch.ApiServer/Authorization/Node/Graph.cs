using k8s.Models;
using Navarch.Api.Pods;

namespace Navarch.ApiServer.Authorization.Node;

/// <summary>
/// The Node authorizer's graph (plugin/pkg/auth/authorizer/node/graph.go): the pods bound to nodes, the nodes, and
/// the objects those pods refer to, every edge pointing towards a node —
/// pod → node; secret, configmap, persistentvolumeclaim, serviceaccount → pod; persistentvolume → its claim;
/// secret → persistentvolume; volumeattachment → its node. A node may read an object when a path leads from the object to that node (never through
/// another node). Deleting a vertex also deletes the neighbours that were linked to it alone, so the graph holds just
/// what live pods and volumes refer to. Kubernetes also keeps a per-vertex index of reachable nodes for vertices with
/// hundreds of edges; the walk here is linear in the pods sharing an object, which is fine at Navarch's scale.
/// </summary>
internal sealed class Graph
{
    /// <summary>The annotation of a static pod's mirror, which the node creates and must gain nothing through.</summary>
    public const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    private readonly Lock _lock = new();
    private readonly Dictionary<(VertexType Type, string Namespace, string Name), Vertex> _vertices = [];

    /// <summary>How many vertices the graph holds (for tests).</summary>
    public int VertexCount
    {
        get
        {
            lock (_lock)
            {
                return _vertices.Count;
            }
        }
    }

    /// <summary>Whether the graph holds the vertex (for tests).</summary>
    public bool Contains(VertexType type, string ns, string name)
    {
        lock (_lock)
        {
            return _vertices.ContainsKey((type, ns, name));
        }
    }

    /// <summary>
    /// Records (or records again) a pod bound to a node: pod → node, and its service account, Secrets, ConfigMaps and
    /// claims → pod. A mirror pod links only to its node.
    /// </summary>
    public void AddPod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string ns = pod.Metadata.NamespaceProperty ?? "";
        lock (_lock)
        {
            DeleteVertex(VertexType.Pod, ns, pod.Metadata.Name);
            Vertex podVertex = GetOrCreate(VertexType.Pod, ns, pod.Metadata.Name);
            AddEdge(podVertex, GetOrCreate(VertexType.Node, "", pod.Spec.NodeName));
            if (pod.Metadata.Annotations?.ContainsKey(MirrorPodAnnotation) == true)
            {
                return;
            }

            if (pod.Spec.ServiceAccountName is { Length: > 0 } account)
            {
                AddEdge(GetOrCreate(VertexType.ServiceAccount, ns, account), podVertex);
            }

            foreach (string secret in PodReferences.SecretNames(pod))
            {
                AddEdge(GetOrCreate(VertexType.Secret, ns, secret), podVertex);
            }

            foreach (string configMap in PodReferences.ConfigMapNames(pod))
            {
                AddEdge(GetOrCreate(VertexType.ConfigMap, ns, configMap), podVertex);
            }

            foreach (string claim in PodReferences.PersistentVolumeClaimNames(pod))
            {
                AddEdge(GetOrCreate(VertexType.PersistentVolumeClaim, ns, claim), podVertex);
            }
        }
    }

    /// <summary>Forgets a pod (and what only it referred to).</summary>
    public void DeletePod(string ns, string name)
    {
        lock (_lock)
        {
            DeleteVertex(VertexType.Pod, ns, name);
        }
    }

    /// <summary>Records (or records again) a volume: pv → its claim, and the Secrets a kubelet reads for it → pv.</summary>
    public void AddPersistentVolume(V1PersistentVolume pv)
    {
        ArgumentNullException.ThrowIfNull(pv);
        lock (_lock)
        {
            DeleteVertex(VertexType.PersistentVolume, "", pv.Metadata.Name);
            if (pv.Spec?.ClaimRef is not { Name.Length: > 0 } claim)
            {
                return;
            }

            Vertex volume = GetOrCreate(VertexType.PersistentVolume, "", pv.Metadata.Name);
            AddEdge(volume, GetOrCreate(VertexType.PersistentVolumeClaim, claim.NamespaceProperty ?? "", claim.Name));
            foreach ((string ns, string secret) in PersistentVolumeSecrets.KubeletVisible(pv))
            {
                AddEdge(GetOrCreate(VertexType.Secret, ns, secret), volume);
            }
        }
    }

    /// <summary>Forgets a volume.</summary>
    public void DeletePersistentVolume(string name)
    {
        lock (_lock)
        {
            DeleteVertex(VertexType.PersistentVolume, "", name);
        }
    }

    /// <summary>Records (or records again) a VolumeAttachment: attachment → the node it attaches to.</summary>
    public void AddVolumeAttachment(string name, string? nodeName)
    {
        lock (_lock)
        {
            DeleteVertex(VertexType.VolumeAttachment, "", name);
            if (!string.IsNullOrEmpty(nodeName))
            {
                AddEdge(GetOrCreate(VertexType.VolumeAttachment, "", name), GetOrCreate(VertexType.Node, "", nodeName));
            }
        }
    }

    /// <summary>Forgets a VolumeAttachment.</summary>
    public void DeleteVolumeAttachment(string name)
    {
        lock (_lock)
        {
            DeleteVertex(VertexType.VolumeAttachment, "", name);
        }
    }

    /// <summary>Whether a path leads from the object to node <paramref name="nodeName"/>.</summary>
    public bool HasPathFrom(string nodeName, VertexType type, string ns, string name)
    {
        lock (_lock)
        {
            if (!_vertices.TryGetValue((VertexType.Node, "", nodeName), out Vertex? node) || !_vertices.TryGetValue((type, ns, name), out Vertex? start))
            {
                return false;
            }

            var visited = new HashSet<Vertex> { start };
            var pending = new Stack<Vertex>([start]);
            while (pending.TryPop(out Vertex? vertex))
            {
                foreach (Vertex next in vertex.Out)
                {
                    if (next == node)
                    {
                        return true;
                    }

                    // Another node is a dead end: rights never pass through a node.
                    if (next.Type != VertexType.Node && visited.Add(next))
                    {
                        pending.Push(next);
                    }
                }
            }

            return false;
        }
    }

    private Vertex GetOrCreate(VertexType type, string ns, string name)
    {
        if (!_vertices.TryGetValue((type, ns, name), out Vertex? vertex))
        {
            vertex = new Vertex(type, ns, name);
            _vertices[(type, ns, name)] = vertex;
        }

        return vertex;
    }

    private static void AddEdge(Vertex from, Vertex to)
    {
        from.Out.Add(to);
        to.In.Add(from);
    }

    /// <summary>Removes the vertex, and the neighbours whose only edge was to it.</summary>
    private void DeleteVertex(VertexType type, string ns, string name)
    {
        if (!_vertices.TryGetValue((type, ns, name), out Vertex? vertex))
        {
            return;
        }

        List<Vertex> orphans = [.. vertex.Out.Concat(vertex.In).Where(n => n.Out.Count + n.In.Count == 1)];
        Remove(vertex);
        orphans.ForEach(Remove);
    }

    private void Remove(Vertex vertex)
    {
        foreach (Vertex to in vertex.Out)
        {
            to.In.Remove(vertex);
        }

        foreach (Vertex from in vertex.In)
        {
            from.Out.Remove(vertex);
        }

        _vertices.Remove((vertex.Type, vertex.Namespace, vertex.Name));
    }

    private sealed class Vertex(VertexType type, string ns, string name)
    {
        public VertexType Type => type;

        public string Namespace => ns;

        public string Name => name;

        public HashSet<Vertex> Out { get; } = [];

        public HashSet<Vertex> In { get; } = [];
    }
}
