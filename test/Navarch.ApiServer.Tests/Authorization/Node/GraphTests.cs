using k8s.Models;
using Navarch.ApiServer.Authorization.Node;

namespace Navarch.ApiServer.Tests.Authorization.Node;

/// <summary>The Node authorizer's graph: what a pod bound to a node lets that node reach, and what deleting takes away.</summary>
[Trait("Category", "Unit")]
public sealed class GraphTests
{
    private static V1Pod Pod(string name, string node, string? secret = null, string? configMap = null, string? claim = null, string account = "default", bool mirror = false) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ns",
            Uid = name + "-uid",
            Annotations = mirror ? new Dictionary<string, string> { [Graph.MirrorPodAnnotation] = "x" } : null,
        },
        Spec = new V1PodSpec
        {
            NodeName = node,
            ServiceAccountName = account,
            Containers =
            [
                new V1Container
                {
                    Name = "c",
                    Env = secret is null ? null : [new V1EnvVar { Name = "S", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secret, Key = "k" } } }],
                    EnvFrom = configMap is null ? null : [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = configMap } }],
                },
            ],
            Volumes = claim is null ? null : [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }],
        },
    };

    [Fact]
    public void A_pod_links_what_it_refers_to_to_its_node_only()
    {
        var graph = new Graph();
        graph.AddPod(Pod("p1", "a", secret: "s1", configMap: "c1", claim: "v1", account: "sa1"));
        graph.AddPod(Pod("p2", "b", secret: "s2"));

        Assert.True(graph.HasPathFrom("a", VertexType.Secret, "ns", "s1"));
        Assert.True(graph.HasPathFrom("a", VertexType.ConfigMap, "ns", "c1"));
        Assert.True(graph.HasPathFrom("a", VertexType.PersistentVolumeClaim, "ns", "v1"));
        Assert.True(graph.HasPathFrom("a", VertexType.ServiceAccount, "ns", "sa1"));
        Assert.True(graph.HasPathFrom("a", VertexType.Pod, "ns", "p1"));

        Assert.False(graph.HasPathFrom("a", VertexType.Secret, "ns", "s2"));
        Assert.False(graph.HasPathFrom("b", VertexType.Secret, "ns", "s1"));
        Assert.False(graph.HasPathFrom("a", VertexType.Pod, "ns", "p2"));
        Assert.False(graph.HasPathFrom("a", VertexType.Secret, "other", "s1"));
        Assert.False(graph.HasPathFrom("c", VertexType.Secret, "ns", "s1"));
    }

    [Fact]
    public void A_shared_object_stays_reachable_until_its_last_pod_goes_and_nothing_is_left_behind()
    {
        var graph = new Graph();
        graph.AddPod(Pod("p1", "a", secret: "shared"));
        graph.AddPod(Pod("p2", "b", secret: "shared"));
        Assert.True(graph.HasPathFrom("a", VertexType.Secret, "ns", "shared"));
        Assert.True(graph.HasPathFrom("b", VertexType.Secret, "ns", "shared"));

        graph.DeletePod("ns", "p1");
        Assert.False(graph.HasPathFrom("a", VertexType.Secret, "ns", "shared"));
        Assert.True(graph.HasPathFrom("b", VertexType.Secret, "ns", "shared"));
        Assert.False(graph.Contains(VertexType.Node, "", "a"));

        graph.DeletePod("ns", "p2");
        Assert.Equal(0, graph.VertexCount);
    }

    [Fact]
    public void Adding_a_pod_again_replaces_its_references()
    {
        var graph = new Graph();
        graph.AddPod(Pod("p1", "a", secret: "old"));
        graph.AddPod(Pod("p1", "a", secret: "new"));

        Assert.False(graph.Contains(VertexType.Secret, "ns", "old"));
        Assert.True(graph.HasPathFrom("a", VertexType.Secret, "ns", "new"));
    }

    [Fact]
    public void A_mirror_pod_reaches_its_node_and_grants_nothing()
    {
        var graph = new Graph();
        graph.AddPod(Pod("static", "a", secret: "s", configMap: "c", mirror: true));

        Assert.True(graph.HasPathFrom("a", VertexType.Pod, "ns", "static"));
        Assert.False(graph.Contains(VertexType.Secret, "ns", "s"));
        Assert.False(graph.Contains(VertexType.ServiceAccount, "ns", "default"));
    }

    [Fact]
    public void A_volume_bound_to_a_claim_of_the_node_and_its_kubelet_secrets_are_reachable()
    {
        var graph = new Graph();
        graph.AddPod(Pod("p1", "a", claim: "data"));
        graph.AddPersistentVolume(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pv1" },
            Spec = new V1PersistentVolumeSpec
            {
                ClaimRef = new V1ObjectReference { NamespaceProperty = "ns", Name = "data" },
                Csi = new V1CSIPersistentVolumeSource
                {
                    Driver = "d",
                    VolumeHandle = "h",
                    NodePublishSecretRef = new V1SecretReference { Name = "publish" },
                    ControllerPublishSecretRef = new V1SecretReference { Name = "controller", NamespaceProperty = "ns" },
                    NodeStageSecretRef = new V1SecretReference { Name = "stage", NamespaceProperty = "elsewhere" },
                },
            },
        });

        Assert.True(graph.HasPathFrom("a", VertexType.PersistentVolume, "", "pv1"));
        Assert.True(graph.HasPathFrom("a", VertexType.Secret, "ns", "publish"));
        Assert.True(graph.HasPathFrom("a", VertexType.Secret, "elsewhere", "stage"));
        Assert.False(graph.Contains(VertexType.Secret, "ns", "controller"));

        // Rebound elsewhere: the old claim no longer leads to the volume.
        graph.AddPersistentVolume(new V1PersistentVolume { Metadata = new V1ObjectMeta { Name = "pv1" }, Spec = new V1PersistentVolumeSpec { ClaimRef = new V1ObjectReference { NamespaceProperty = "ns", Name = "other" } } });
        Assert.False(graph.HasPathFrom("a", VertexType.PersistentVolume, "", "pv1"));
        Assert.False(graph.Contains(VertexType.Secret, "ns", "publish"));

        graph.DeletePersistentVolume("pv1");
        graph.DeletePod("ns", "p1");
        Assert.Equal(0, graph.VertexCount);
    }
}
