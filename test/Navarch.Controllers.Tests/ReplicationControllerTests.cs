using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// core/v1 ReplicationControllers, served by the API server (defaults, validation, /scale) and kept by the replication
/// manager, against a real API server. No kubelet runs: pods are created, never started.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReplicationControllerTests : ControllerCluster
{
    private async Task<List<V1Pod>> PodsOf(string name) =>
        (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"rc={name}")).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();

    private static V1ReplicationController Rc(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ReplicationControllerSpec
        {
            Replicas = replicas,
            // No selector: it defaults to the template's labels, as do the controller's own labels.
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["rc"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
            },
        },
    };

    [Fact]
    public async Task A_ReplicationController_creates_owns_scales_and_reports_its_pods()
    {
        V1ReplicationController rc = await Client.CoreV1.CreateNamespacedReplicationControllerAsync(Rc("legacy", 3), "default");
        Assert.Equal("legacy", rc.Spec.Selector["rc"]);
        Assert.Equal("legacy", rc.Metadata.Labels["rc"]);

        await Eventually(async () => (await PodsOf("legacy")).Count == 3, "the ReplicationController has 3 pods", TimeSpan.FromSeconds(20));
        Assert.All(await PodsOf("legacy"), p =>
        {
            V1OwnerReference owner = Assert.Single(p.Metadata.OwnerReferences);
            Assert.Equal(("v1", "ReplicationController", rc.Metadata.Uid, true), (owner.ApiVersion, owner.Kind, owner.Uid, owner.Controller == true));
        });
        await Eventually(async () => (await Client.CoreV1.ReadNamespacedReplicationControllerAsync("legacy", "default")).Status?.Replicas == 3, "status.replicas is 3");

        // kubectl scale rc goes through /scale, whose selector is the label map's.
        V1Scale scale = await Client.CoreV1.ReadNamespacedReplicationControllerScaleAsync("legacy", "default");
        Assert.Equal("rc=legacy", scale.Status.Selector);
        await Client.CoreV1.PatchNamespacedReplicationControllerScaleAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), "legacy", "default");
        await Eventually(async () => (await PodsOf("legacy")).Count == 1, "the ReplicationController is down to 1 pod", TimeSpan.FromSeconds(20));

        // The events name the ReplicationController and the replication manager.
        await Eventually(
            async () => (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.uid={rc.Metadata.Uid}")).Items
                .Any(e => e.Reason == "SuccessfulCreate" && e.InvolvedObject.Kind == "ReplicationController" && e.Source?.Component == "replication-controller"),
            "a SuccessfulCreate event on the ReplicationController");
    }

    [Fact]
    public async Task A_ReplicationController_whose_selector_misses_its_template_is_refused()
    {
        V1ReplicationController rc = Rc("mismatch", 1);
        rc.Spec.Selector = new Dictionary<string, string> { ["rc"] = "other" };
        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => Client.CoreV1.CreateNamespacedReplicationControllerAsync(rc, "default"));
        Assert.Equal(422, (int)e.Response.StatusCode);
        string message = (string)System.Text.Json.Nodes.JsonNode.Parse(e.Response.Content)!["message"]!;
        Assert.Equal("ReplicationController \"mismatch\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"rc\":\"mismatch\"}: `selector` does not match template `labels`", message);
    }

    [Fact]
    public async Task A_PodTemplate_is_stored_defaulted_and_validated()
    {
        V1PodTemplate created = await Client.CoreV1.CreateNamespacedPodTemplateAsync(new V1PodTemplate
        {
            Metadata = new V1ObjectMeta { Name = "tmpl" },
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] } },
        }, "default");
        Assert.Equal("Always", created.Template.Spec.RestartPolicy);
        Assert.Single((await Client.CoreV1.ListNamespacedPodTemplateAsync("default")).Items);

        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => Client.CoreV1.CreateNamespacedPodTemplateAsync(new V1PodTemplate
        {
            Metadata = new V1ObjectMeta { Name = "empty" },
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [] } },
        }, "default"));
        Assert.Equal(422, (int)e.Response.StatusCode);
        Assert.Contains("template.spec.containers", e.Response.Content, StringComparison.Ordinal);
    }
}
