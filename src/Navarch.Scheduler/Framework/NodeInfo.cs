using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>
/// One node and what is placed on it: the pods, their summed requests, host ports in use, the pods with affinity
/// terms, and the images present. The cache keeps one per node; cycles read clones from a snapshot.
/// </summary>
internal sealed class NodeInfo
{
    public NodeInfo(V1Node? node = null)
    {
        SetNode(node);
    }

    public V1Node? Node { get; private set; }

    public string Name => Node?.Metadata.Name ?? "";

    public List<PodInfo> Pods { get; private init; } = [];

    public List<PodInfo> PodsWithAffinity { get; private init; } = [];

    public List<PodInfo> PodsWithRequiredAntiAffinity { get; private init; } = [];

    public Resource Requested { get; private set; } = new();

    /// <summary>Requests with Kubernetes' non-zero defaults, for scoring.</summary>
    public Resource NonZeroRequested { get; private set; } = new();

    public Resource Allocatable { get; private set; } = new();

    public List<HostPort> UsedPorts { get; private init; } = [];

    /// <summary>Image name → size in bytes, from node.status.images.</summary>
    public Dictionary<string, long> Images { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every change, so snapshots copy only what changed.</summary>
    public long Generation { get; set; }

    public void SetNode(V1Node? node)
    {
        Node = node;
        Allocatable = Resource.From(node?.Status?.Allocatable ?? node?.Status?.Capacity);
        Images = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (V1ContainerImage image in node?.Status?.Images ?? [])
        {
            foreach (string name in image.Names ?? [])
            {
                Images[Normalize(name)] = image.SizeBytes ?? 0;
            }
        }
    }

    /// <summary>Image references without a tag mean ":latest", as Kubernetes compares them.</summary>
    public static string Normalize(string image)
    {
        int slash = image.LastIndexOf('/');
        return image.Contains('@', StringComparison.Ordinal) || image.IndexOf(':', slash + 1) >= 0 ? image : image + ":latest";
    }

    public void AddPod(PodInfo pod)
    {
        Pods.Add(pod);
        if (pod.HasAffinity)
        {
            PodsWithAffinity.Add(pod);
        }

        if (pod.HasRequiredAntiAffinity)
        {
            PodsWithRequiredAntiAffinity.Add(pod);
        }

        Requested.Add(pod.Requests);
        NonZeroRequested.Add(pod.NonZeroRequests);
        Requested.Pods++;
        UsedPorts.AddRange(PortsOf(pod.Pod));
    }

    public bool RemovePod(string key)
    {
        int i = Pods.FindIndex(p => p.Key == key);
        if (i < 0)
        {
            return false;
        }

        PodInfo pod = Pods[i];
        Pods.RemoveAt(i);
        PodsWithAffinity.RemoveAll(p => p.Key == key);
        PodsWithRequiredAntiAffinity.RemoveAll(p => p.Key == key);
        Requested.Add(pod.Requests, -1);
        NonZeroRequested.Add(pod.NonZeroRequests, -1);
        Requested.Pods--;
        foreach (HostPort port in PortsOf(pod.Pod))
        {
            UsedPorts.Remove(port);
        }

        return true;
    }

    public static IEnumerable<HostPort> PortsOf(V1Pod pod)
    {
        foreach (V1Container c in (pod.Spec.Containers ?? []).Concat(pod.Spec.InitContainers ?? []))
        {
            foreach (V1ContainerPort p in c.Ports ?? [])
            {
                if (p.HostPort is > 0)
                {
                    yield return new HostPort(string.IsNullOrEmpty(p.HostIP) ? "0.0.0.0" : p.HostIP, p.Protocol ?? "TCP", p.HostPort.Value);
                }
            }
        }
    }

    public NodeInfo Clone() => new()
    {
        Node = Node,
        Pods = [.. Pods],
        PodsWithAffinity = [.. PodsWithAffinity],
        PodsWithRequiredAntiAffinity = [.. PodsWithRequiredAntiAffinity],
        Requested = Requested.Clone(),
        NonZeroRequested = NonZeroRequested.Clone(),
        Allocatable = Allocatable,
        UsedPorts = [.. UsedPorts],
        Images = Images,
        Generation = Generation,
    };
}
