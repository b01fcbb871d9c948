using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>Objects the controller tests create.</summary>
internal static class TestObjects
{
    /// <summary>A ReplicaSet of busybox pods selected by <c>rs=&lt;name&gt;</c>.</summary>
    public static V1ReplicaSet ReplicaSet(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["rs"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["rs"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
            },
        },
    };
}
