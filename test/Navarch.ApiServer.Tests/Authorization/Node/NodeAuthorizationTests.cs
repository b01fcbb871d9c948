using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Authorization.Node;

/// <summary>
/// <c>--authorization-mode Node,RBAC</c> with NodeRestriction, against a real server: node "a" and node "b" hold
/// client certificates issued by the cluster CA (<c>system:node:NAME</c> in <c>system:nodes</c>), as joined agents do.
/// Pod pa on a refers to Secret sa and ConfigMap ca; pod pb on b to Secret sb. Each node reads only what its pods refer
/// to, and changes only its own Node, Lease and pods' status — with Kubernetes' 403 messages.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NodeAuthorizationTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;
    private Kubernetes _a = null!;
    private Kubernetes _b = null!;

    private Kubernetes Admin => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync(authorizationMode: "Node,RBAC");
        _a = NodeClient("a");
        _b = NodeClient("b");
        foreach (string node in new[] { "a", "b" })
        {
            await Admin.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = node } });
        }

        await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, "default");
        await Admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "sa" }, StringData = new Dictionary<string, string> { ["k"] = "for a" } }, "default");
        await Admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "sb" }, StringData = new Dictionary<string, string> { ["k"] = "for b" } }, "default");
        await Admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "ca" } }, "default");
        await Admin.CoreV1.CreateNamespacedPodAsync(Pod("pa", "a", "sa", "ca"), "default");
        await Admin.CoreV1.CreateNamespacedPodAsync(Pod("pb", "b", "sb", null), "default");
        await UntilAsync(async () => await StatusOfAsync(() => _a.CoreV1.ReadNamespacedSecretAsync("sa", "default")) == HttpStatusCode.OK, "node a may read its pod's secret");
    }

    public async Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        await _host.DisposeAsync();
    }

    private Kubernetes NodeClient(string node)
    {
        using var kubeconfig = new MemoryStream(Encoding.UTF8.GetBytes(_host.Server.ClientKubeconfig("system:node:" + node, "system:nodes")));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
    }

    private static V1Pod Pod(string name, string node, string secret, string? configMap) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers =
            [
                new V1Container
                {
                    Name = "c",
                    Image = "busybox:1.35",
                    Env = [new V1EnvVar { Name = "S", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secret, Key = "k" } } }],
                    EnvFrom = configMap is null ? null : [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = configMap } }],
                },
            ],
        },
    };

    private static async Task<HttpStatusCode> StatusOfAsync(Func<Task> call)
    {
        try
        {
            await call();
            return HttpStatusCode.OK;
        }
        catch (HttpOperationException e)
        {
            return e.Response.StatusCode;
        }
    }

    /// <summary>The 403 message of <paramref name="call"/>, which must be refused.</summary>
    private static async Task<string> RefusedAsync(Func<Task> call)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        return JsonDocument.Parse(e.Response.Content).RootElement.GetProperty("message").GetString()!;
    }

    // The graph follows the store through a watch, so a change reaches it a moment after the write returns.
    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        for (DateTime end = DateTime.UtcNow.AddSeconds(10); !await condition(); await Task.Delay(50))
        {
            Assert.True(DateTime.UtcNow < end, $"timed out waiting until {what}");
        }
    }

    private static V1Patch Merge(object patch) => new(KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch);

    [Fact]
    public async Task A_node_reads_only_the_secrets_configmaps_tokens_and_pods_of_its_own_pods()
    {
        Assert.Equal("for a", Encoding.UTF8.GetString((await _a.CoreV1.ReadNamespacedSecretAsync("sa", "default")).Data["k"]));
        await _a.CoreV1.ReadNamespacedConfigMapAsync("ca", "default");
        Assert.Equal(["sa"], (await _a.CoreV1.ListNamespacedSecretAsync("default", fieldSelector: "metadata.name=sa")).Items.Select(s => s.Metadata.Name));

        Assert.Equal(
            "secrets \"sb\" is forbidden: User \"system:node:a\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\": no relationship found between node 'a' and this object",
            await RefusedAsync(() => _a.CoreV1.ReadNamespacedSecretAsync("sb", "default")));
        Assert.Equal(
            "secrets is forbidden: User \"system:node:a\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\": No Object name found",
            await RefusedAsync(() => _a.CoreV1.ListNamespacedSecretAsync("default")));
        await RefusedAsync(() => _a.CoreV1.ListNamespacedSecretAsync("default", fieldSelector: "metadata.name=sb"));
        await RefusedAsync(() => _b.CoreV1.ReadNamespacedSecretAsync("sa", "default"));
        await RefusedAsync(() => _a.CoreV1.ListSecretForAllNamespacesAsync());

        // Its own pods, by field selector; not everyone's.
        Assert.Equal(["pa"], (await _a.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=a")).Items.Select(p => p.Metadata.Name));
        await _a.CoreV1.ReadNamespacedPodAsync("pa", "default");
        await RefusedAsync(() => _a.CoreV1.ReadNamespacedPodAsync("pb", "default"));
        await RefusedAsync(() => _a.CoreV1.ListPodForAllNamespacesAsync());

        // Tokens of its pods' account, bound to its own pod only.
        V1Pod pa = await Admin.CoreV1.ReadNamespacedPodAsync("pa", "default");
        V1Pod pb = await Admin.CoreV1.ReadNamespacedPodAsync("pb", "default");
        Authenticationv1TokenRequest Bound(V1Pod pod) => new() { Spec = new V1TokenRequestSpec { BoundObjectRef = new V1BoundObjectReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid } } };
        Assert.NotEmpty((await _a.CoreV1.CreateNamespacedServiceAccountTokenAsync(Bound(pa), "default", "default")).Status.Token);
        Assert.Equal(
            "serviceaccounts \"default\" is forbidden: node requested token bound to a pod scheduled on a different node",
            await RefusedAsync(() => _a.CoreV1.CreateNamespacedServiceAccountTokenAsync(Bound(pb), "default", "default")));
        Assert.Equal(
            "serviceaccounts \"default\" is forbidden: node requested token not bound to a pod",
            await RefusedAsync(() => _a.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, "default", "default")));

        // The graph follows pods: a new pod on a grants its secret, and its deletion takes it back.
        await Admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "late" } }, "default");
        await RefusedAsync(() => _a.CoreV1.ReadNamespacedSecretAsync("late", "default"));
        await Admin.CoreV1.CreateNamespacedPodAsync(Pod("pc", "a", "late", null), "default");
        await UntilAsync(async () => await StatusOfAsync(() => _a.CoreV1.ReadNamespacedSecretAsync("late", "default")) == HttpStatusCode.OK, "the new pod's secret is readable");
        await Admin.CoreV1.DeleteNamespacedPodAsync("pc", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
        await UntilAsync(async () => await StatusOfAsync(() => _a.CoreV1.ReadNamespacedSecretAsync("late", "default")) == HttpStatusCode.Forbidden, "the deleted pod's secret is no longer readable");
    }

    [Fact]
    public async Task A_node_changes_only_its_own_node_lease_and_pods()
    {
        // Its own Node: status and harmless labels, not node-role labels nor taints; never another node.
        Assert.Equal(
            "nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\"",
            await RefusedAsync(() => _a.CoreV1.PatchNodeAsync(Merge(new { metadata = new { labels = new Dictionary<string, string> { ["x"] = "y" } } }), "b")));
        await RefusedAsync(() => _a.CoreV1.PatchNodeStatusAsync(Merge(new { status = new { phase = "Running" } }), "b"));
        await _a.CoreV1.PatchNodeStatusAsync(Merge(new { status = new { phase = "Running" } }), "a");
        await _a.CoreV1.PatchNodeAsync(Merge(new { metadata = new { labels = new Dictionary<string, string> { ["example.com/disk"] = "ssd", ["topology.kubernetes.io/zone"] = "z1" } } }), "a");
        Assert.Equal(
            "nodes \"a\" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker",
            await RefusedAsync(() => _a.CoreV1.PatchNodeAsync(Merge(new { metadata = new { labels = new Dictionary<string, string> { ["node-role.kubernetes.io/worker"] = "" } } }), "a")));
        Assert.Equal(
            "nodes \"a\" is forbidden: node \"a\" is not allowed to modify taints",
            await RefusedAsync(() => _a.CoreV1.PatchNodeAsync(Merge(new { spec = new { taints = new[] { new { key = "k", effect = "NoSchedule" } } } }), "a")));
        Assert.Equal(
            "nodes \"b\" is forbidden: User \"system:node:a\" cannot get resource \"nodes\" in API group \"\" at the cluster scope: node 'a' cannot read 'b', only its own Node object",
            await RefusedAsync(() => _a.CoreV1.ReadNodeAsync("b")));

        // Its own Lease in kube-node-lease.
        V1Lease Lease(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1LeaseSpec { HolderIdentity = name } };
        await _a.CoordinationV1.CreateNamespacedLeaseAsync(Lease("a"), "kube-node-lease");
        Assert.Equal(
            "leases.coordination.k8s.io \"b\" is forbidden: can only access node lease with the same name as the requesting node",
            await RefusedAsync(() => _a.CoordinationV1.CreateNamespacedLeaseAsync(Lease("b"), "kube-node-lease")));
        await _b.CoordinationV1.CreateNamespacedLeaseAsync(Lease("b"), "kube-node-lease");
        await RefusedAsync(() => _a.CoordinationV1.PatchNamespacedLeaseAsync(Merge(new { spec = new { holderIdentity = "a" } }), "b", "kube-node-lease"));

        // Its own CSINode (NodeRestriction's admitCSINode).
        V1CSINode CsiNode(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1CSINodeSpec { Drivers = [] } };
        await _a.StorageV1.CreateCSINodeAsync(CsiNode("a"));
        Assert.Equal(
            "csinodes.storage.k8s.io \"b\" is forbidden: can only access CSINode with the same name as the requesting node",
            await RefusedAsync(() => _a.StorageV1.CreateCSINodeAsync(CsiNode("b"))));
        await _b.StorageV1.CreateCSINodeAsync(CsiNode("b"));
        Assert.Equal(
            "csinodes.storage.k8s.io \"b\" is forbidden: can only access CSINode with the same name as the requesting node",
            await RefusedAsync(() => _a.StorageV1.DeleteCSINodeAsync("b")));
        await _a.StorageV1.PatchCSINodeAsync(Merge(new { metadata = new { labels = new Dictionary<string, string> { ["mine"] = "yes" } } }), "a");

        // VolumeAttachments to itself only, through the graph.
        V1VolumeAttachment Attachment(string node) => new()
        {
            Metadata = new V1ObjectMeta { Name = "va-" + node },
            Spec = new V1VolumeAttachmentSpec { Attacher = "csi.example.com", NodeName = node, Source = new V1VolumeAttachmentSource { PersistentVolumeName = "pv-" + node } },
        };
        await Admin.StorageV1.CreateVolumeAttachmentAsync(Attachment("a"));
        await Admin.StorageV1.CreateVolumeAttachmentAsync(Attachment("b"));
        await UntilAsync(async () => await StatusOfAsync(() => _a.StorageV1.ReadVolumeAttachmentAsync("va-a")) == HttpStatusCode.OK, "node a reads its VolumeAttachment");
        Assert.Equal(
            "volumeattachments.storage.k8s.io \"va-b\" is forbidden: User \"system:node:a\" cannot get resource \"volumeattachments\" in API group \"storage.k8s.io\" at the cluster scope: no relationship found between node 'a' and this object",
            await RefusedAsync(() => _a.StorageV1.ReadVolumeAttachmentAsync("va-b")));

        // The status of its own pods; deleting only its own; creating only mirror pods.
        await _a.CoreV1.PatchNamespacedPodStatusAsync(Merge(new { status = new { message = "fine" } }), "pa", "default");
        Assert.Equal(
            "pods \"pb\" is forbidden: node \"a\" can only update pod status for pods with spec.nodeName set to itself",
            await RefusedAsync(() => _a.CoreV1.PatchNamespacedPodStatusAsync(Merge(new { status = new { message = "mine now" } }), "pb", "default")));
        Assert.Equal(
            "pods \"pb\" is forbidden: node \"a\" can only delete pods with spec.nodeName set to itself",
            await RefusedAsync(() => _a.CoreV1.DeleteNamespacedPodAsync("pb", "default")));
        Assert.Equal(
            "pods \"pd\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node \"a\" can only create mirror pods",
            await RefusedAsync(() => _a.CoreV1.CreateNamespacedPodAsync(Pod("pd", "a", "sa", null), "default")));
        await _a.CoreV1.DeleteNamespacedPodAsync("pa", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
    }
}
