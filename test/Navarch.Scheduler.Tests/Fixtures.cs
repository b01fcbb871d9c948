using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Tests;

/// <summary>Builders for pods, nodes and NodeInfos in plugin tables.</summary>
internal static class Fixtures
{
    public static V1Pod Pod(string name = "p", string cpu = "", string memory = "", IDictionary<string, string>? labels = null, string ns = "default", int? priority = null)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu.Length > 0)
        {
            requests["cpu"] = new ResourceQuantity(cpu);
        }

        if (memory.Length > 0)
        {
            requests["memory"] = new ResourceQuantity(memory);
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels, Uid = Guid.NewGuid().ToString() },
            Spec = new V1PodSpec
            {
                Priority = priority,
                Containers = [new V1Container { Name = "c", Image = "busybox", Resources = new V1ResourceRequirements { Requests = requests } }],
            },
        };
    }

    public static V1Node Node(string name, string cpu = "4", string memory = "8Gi", int pods = 110, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null, IDictionary<string, string>? extra = null)
    {
        var allocatable = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cpu),
            ["memory"] = new(memory),
            ["ephemeral-storage"] = new("100Gi"),
            ["pods"] = new(pods.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        foreach (KeyValuePair<string, string> kv in extra ?? new Dictionary<string, string>())
        {
            allocatable[kv.Key] = new ResourceQuantity(kv.Value);
        }

        var allLabels = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()) { ["kubernetes.io/hostname"] = name };
        return new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = name, Labels = allLabels },
            Spec = new V1NodeSpec { Taints = taints },
            Status = new V1NodeStatus { Capacity = allocatable, Allocatable = allocatable },
        };
    }

    public static NodeInfo Info(V1Node node, params V1Pod[] pods)
    {
        var info = new NodeInfo(node);
        foreach (V1Pod p in pods)
        {
            info.AddPod(new PodInfo(p));
        }

        return info;
    }

    public static Dictionary<string, string> Labels(params string[] kvs) =>
        kvs.Select(kv => kv.Split('=')).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
}
