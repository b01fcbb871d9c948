using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests;

/// <summary>The official C# client against a real server: CRUD, conflicts, selectors, paging, subresources.</summary>
[Trait("Category", "Integration")]
public sealed class CrudTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly Kubernetes _client = fixture.Client;

    private static V1Deployment Deployment(string name, int replicas = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox:1.35" }] },
            },
        },
    };

    private static async Task<HttpStatusCode> StatusOf(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return e.Response.StatusCode;
    }

    [Fact]
    public async Task Bootstrap_creates_the_system_namespaces_and_the_kubernetes_service()
    {
        V1NamespaceList namespaces = await _client.CoreV1.ListNamespaceAsync();
        Assert.Superset(new HashSet<string> { "default", "kube-system", "kube-public", "kube-node-lease" }, namespaces.Items.Select(n => n.Metadata.Name).ToHashSet());
        V1Service kubernetes = await _client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default");
        Assert.Equal("10.43.0.1", kubernetes.Spec.ClusterIP);
        Assert.Equal("Active", namespaces.Items.First(n => n.Metadata.Name == "default").Status.Phase);
    }

    [Fact]
    public async Task Create_sets_metadata_and_defaults_and_get_returns_it()
    {
        V1Deployment created = await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("crud-create"), "default");
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal("RollingUpdate", created.Spec.Strategy.Type);
        Assert.Equal("25%", created.Spec.Strategy.RollingUpdate.MaxSurge.Value);
        Assert.Equal(10, created.Spec.RevisionHistoryLimit);
        Assert.Equal(600, created.Spec.ProgressDeadlineSeconds);
        Assert.Equal("Always", created.Spec.Template.Spec.RestartPolicy);
        Assert.Equal("IfNotPresent", created.Spec.Template.Spec.Containers[0].ImagePullPolicy);

        V1Deployment got = await _client.AppsV1.ReadNamespacedDeploymentAsync("crud-create", "default");
        Assert.Equal(created.Metadata.ResourceVersion, got.Metadata.ResourceVersion);
        Assert.Equal(created.Metadata.Uid, got.Metadata.Uid);

        Assert.Equal(HttpStatusCode.Conflict, await StatusOf(() => _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("crud-create"), "default")));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => _client.AppsV1.ReadNamespacedDeploymentAsync("absent", "default")));
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_is_a_conflict_and_generation_follows_the_spec()
    {
        V1Deployment created = await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("crud-update"), "default");
        created.Spec.Replicas = 3;
        V1Deployment updated = await _client.AppsV1.ReplaceNamespacedDeploymentAsync(created, "crud-update", "default");
        Assert.Equal(2, updated.Metadata.Generation);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);

        // The old resourceVersion is stale now.
        created.Spec.Replicas = 4;
        Assert.Equal(HttpStatusCode.Conflict, await StatusOf(() => _client.AppsV1.ReplaceNamespacedDeploymentAsync(created, "crud-update", "default")));

        // A metadata-only change does not bump the generation.
        updated.Metadata.Labels["extra"] = "yes";
        V1Deployment relabelled = await _client.AppsV1.ReplaceNamespacedDeploymentAsync(updated, "crud-update", "default");
        Assert.Equal(2, relabelled.Metadata.Generation);
    }

    [Fact]
    public async Task Status_and_spec_are_written_only_through_their_own_endpoints()
    {
        V1Deployment created = await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("crud-status"), "default");
        created.Status = new V1DeploymentStatus { Replicas = 7 };
        created.Spec.Replicas = 2;
        V1Deployment main = await _client.AppsV1.ReplaceNamespacedDeploymentAsync(created, "crud-status", "default");
        Assert.Null(main.Status?.Replicas);
        Assert.Equal(2, main.Spec.Replicas);

        main.Status = new V1DeploymentStatus { Replicas = 5, ReadyReplicas = 4 };
        main.Spec.Replicas = 9;
        V1Deployment status = await _client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(main, "crud-status", "default");
        Assert.Equal(5, status.Status.Replicas);
        Assert.Equal(2, status.Spec.Replicas);
    }

    [Fact]
    public async Task Scale_subresource_reads_and_writes_replicas()
    {
        await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("crud-scale", 2), "default");
        V1Scale scale = await _client.AppsV1.ReadNamespacedDeploymentScaleAsync("crud-scale", "default");
        Assert.Equal(2, scale.Spec.Replicas);
        Assert.Equal("app=crud-scale", scale.Status.Selector);
        scale.Spec.Replicas = 6;
        await _client.AppsV1.ReplaceNamespacedDeploymentScaleAsync(scale, "crud-scale", "default");
        Assert.Equal(6, (await _client.AppsV1.ReadNamespacedDeploymentAsync("crud-scale", "default")).Spec.Replicas);
    }

    [Fact]
    public async Task Label_and_field_selectors_and_paging_work_on_lists()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "paging" } });
        for (int i = 0; i < 7; i++)
        {
            await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
            {
                Metadata = new V1ObjectMeta { Name = $"cm-{i}", Labels = new Dictionary<string, string> { ["parity"] = i % 2 == 0 ? "even" : "odd" } },
            }, "paging");
        }

        Assert.Equal(4, (await _client.CoreV1.ListNamespacedConfigMapAsync("paging", labelSelector: "parity=even")).Items.Count);
        Assert.Equal(3, (await _client.CoreV1.ListNamespacedConfigMapAsync("paging", labelSelector: "parity in (odd),parity!=even")).Items.Count);
        Assert.Single((await _client.CoreV1.ListNamespacedConfigMapAsync("paging", fieldSelector: "metadata.name=cm-3")).Items);
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOf(() => _client.CoreV1.ListNamespacedConfigMapAsync("paging", fieldSelector: "spec.nope=1")));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOf(() => _client.CoreV1.ListNamespacedConfigMapAsync("paging", labelSelector: "a in (b")));

        var names = new List<string>();
        string? next = null;
        int pages = 0;
        do
        {
            V1ConfigMapList page = await _client.CoreV1.ListNamespacedConfigMapAsync("paging", limit: 3, continueParameter: next);
            names.AddRange(page.Items.Select(c => c.Metadata.Name));
            next = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(next));
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"cm-{i}"), names);
    }

    [Fact]
    public async Task A_namespace_must_exist_and_the_body_namespace_must_match_the_url()
    {
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "no-such-ns")));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOf(() => _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x", NamespaceProperty = "kube-system" } }, "default")));
    }

    [Fact]
    public async Task Invalid_objects_get_422_with_field_causes_and_nothing_is_stored()
    {
        V1Deployment bad = Deployment("Bad_Name");
        bad.Spec.Template.Metadata.Labels["app"] = "other";
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.AppsV1.CreateNamespacedDeploymentAsync(bad, "default"));
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        using var status = System.Text.Json.JsonDocument.Parse(e.Response.Content);
        Assert.Equal("Invalid", status.RootElement.GetProperty("reason").GetString());
        Assert.Contains("metadata.name: Invalid value: \"Bad_Name\"", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            ["metadata.name", "spec.template.metadata.labels"],
            status.RootElement.GetProperty("details").GetProperty("causes").EnumerateArray().Select(c => c.GetProperty("field").GetString()).Distinct());
        Assert.DoesNotContain((await _client.AppsV1.ListNamespacedDeploymentAsync("default")).Items, d => d.Metadata.Name == "Bad_Name");
    }

    [Fact]
    public async Task Dry_run_validates_and_defaults_but_stores_nothing()
    {
        V1Deployment preview = await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("crud-dry"), "default", dryRun: "All");
        Assert.Equal(10, preview.Spec.RevisionHistoryLimit);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => _client.AppsV1.ReadNamespacedDeploymentAsync("crud-dry", "default")));
    }

    [Fact]
    public async Task Finalizers_hold_deletion_until_they_are_removed()
    {
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "held", Finalizers = ["example.com/hold"] } }, "default");
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("held", "default");
        V1ConfigMap terminating = await _client.CoreV1.ReadNamespacedConfigMapAsync("held", "default");
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);

        terminating.Metadata.Finalizers = [];
        await _client.CoreV1.ReplaceNamespacedConfigMapAsync(terminating, "held", "default");
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => _client.CoreV1.ReadNamespacedConfigMapAsync("held", "default")));
    }

    [Fact]
    public async Task Binding_a_pod_that_was_unschedulable_leaves_one_pod_scheduled_condition()
    {
        V1Pod pod = await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "retried" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        }, "default");
        pod.Status = new V1PodStatus
        {
            Phase = "Pending",
            Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = "0/1 nodes are available" }],
        };
        await _client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "retried", "default");

        await _client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "retried" }, Target = new V1ObjectReference { Name = "node-a" } }, "retried", "default");
        V1PodCondition scheduled = Assert.Single((await _client.CoreV1.ReadNamespacedPodAsync("retried", "default")).Status.Conditions, c => c.Type == "PodScheduled");
        Assert.Equal("True", scheduled.Status);
    }

    [Fact]
    public async Task A_bound_pod_is_deleted_gracefully_and_binding_happens_once()
    {
        await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "graceful" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        }, "default");
        await _client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "graceful" }, Target = new V1ObjectReference { Name = "node-a" } }, "graceful", "default");
        Assert.Equal("node-a", (await _client.CoreV1.ReadNamespacedPodAsync("graceful", "default")).Spec.NodeName);
        Assert.Equal(HttpStatusCode.Conflict, await StatusOf(() => _client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "graceful" }, Target = new V1ObjectReference { Name = "node-b" } }, "graceful", "default")));

        await _client.CoreV1.DeleteNamespacedPodAsync("graceful", "default");
        V1Pod terminating = await _client.CoreV1.ReadNamespacedPodAsync("graceful", "default");
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);
        Assert.Equal(30, terminating.Metadata.DeletionGracePeriodSeconds);

        // The kubelet confirms with grace 0.
        await _client.CoreV1.DeleteNamespacedPodAsync("graceful", "default", gracePeriodSeconds: 0);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => _client.CoreV1.ReadNamespacedPodAsync("graceful", "default")));
    }

    [Fact]
    public async Task Service_cluster_ips_and_node_ports_are_never_given_twice()
    {
        V1Service[] created = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => _client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = $"alloc-{i}" },
            Spec = new V1ServiceSpec { Type = "NodePort", Ports = [new V1ServicePort { Port = 80 }] },
        }, "default")));
        Assert.Equal(30, created.Select(s => s.Spec.ClusterIP).Distinct().Count());
        Assert.Equal(30, created.Select(s => s.Spec.Ports[0].NodePort).Distinct().Count());
        Assert.All(created, s => Assert.InRange(s.Spec.Ports[0].NodePort!.Value, 30000, 32767));
        Assert.All(created, s => Assert.StartsWith("10.43.", s.Spec.ClusterIP, StringComparison.Ordinal));

        // A requested address that is taken is refused; once released it can be had.
        string taken = created[0].Spec.ClusterIP;
        var clash = new V1Service { Metadata = new V1ObjectMeta { Name = "alloc-clash" }, Spec = new V1ServiceSpec { ClusterIP = taken, Ports = [new V1ServicePort { Port = 80 }] } };
        Assert.Equal((HttpStatusCode)422, await StatusOf(() => _client.CoreV1.CreateNamespacedServiceAsync(clash, "default")));
        await _client.CoreV1.DeleteNamespacedServiceAsync("alloc-0", "default");
        Assert.Equal(taken, (await _client.CoreV1.CreateNamespacedServiceAsync(clash, "default")).Spec.ClusterIP);
    }

    [Fact]
    public async Task Admission_adds_default_tolerations_and_protects_system_namespaces()
    {
        V1Pod pod = await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "tolerant" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        }, "default");
        Assert.Equal(
            ["node.kubernetes.io/not-ready:NoExecute:300", "node.kubernetes.io/unreachable:NoExecute:300"],
            pod.Spec.Tolerations.Select(t => $"{t.Key}:{t.Effect}:{t.TolerationSeconds}"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOf(() => _client.CoreV1.DeleteNamespaceAsync("kube-system")));
    }

    [Fact]
    public async Task A_deleted_namespace_stays_terminating_refuses_new_content_and_goes_once_finalized()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await _client.CoreV1.DeleteNamespaceAsync("doomed");
        V1Namespace ns = await _client.CoreV1.ReadNamespaceAsync("doomed");
        Assert.Equal("Terminating", ns.Status.Phase);
        Assert.NotNull(ns.Metadata.DeletionTimestamp);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "doomed"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        Assert.Contains("because it is being terminated", refused.Response.Content, StringComparison.Ordinal);

        // What the namespace controller does once the namespace is empty.
        ns.Spec.Finalizers = [];
        await _client.CoreV1.ReplaceNamespaceFinalizeAsync(ns, "doomed");
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf(() => _client.CoreV1.ReadNamespaceAsync("doomed")));
    }

    [Fact]
    public async Task Patches_of_all_three_kinds_apply()
    {
        await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("crud-patch"), "default");
        await _client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"replicas\":4}}", V1Patch.PatchType.MergePatch), "crud-patch", "default");
        await _client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"busybox:1.36\"}]", V1Patch.PatchType.JsonPatch), "crud-patch", "default");
        await _client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"side\",\"image\":\"busybox:1.35\"}]}}}}", V1Patch.PatchType.StrategicMergePatch), "crud-patch", "default");
        V1Deployment d = await _client.AppsV1.ReadNamespacedDeploymentAsync("crud-patch", "default");
        Assert.Equal(4, d.Spec.Replicas);
        Assert.Equal(["main:busybox:1.36", "side:busybox:1.35"], d.Spec.Template.Spec.Containers.Select(c => $"{c.Name}:{c.Image}"));

        var failedTest = await Assert.ThrowsAsync<HttpOperationException>(() => _client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":1}]", V1Patch.PatchType.JsonPatch), "crud-patch", "default"));
        Assert.Equal((HttpStatusCode)422, failedTest.Response.StatusCode);
    }

    [Fact]
    public async Task A_pods_spec_is_immutable_except_images_deadline_and_added_tolerations()
    {
        V1Pod pod = await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "immutable" },
            Spec = new V1PodSpec { ActiveDeadlineSeconds = 600, Containers = [new V1Container { Name = "main", Image = "busybox:1.35" }] },
        }, "default");

        // What may change: the image, a lower deadline, one more toleration.
        pod.Spec.Containers[0].Image = "busybox:1.36";
        pod.Spec.ActiveDeadlineSeconds = 300;
        pod.Spec.Tolerations.Add(new V1Toleration { Key = "extra", OperatorProperty = "Exists" });
        pod = await _client.CoreV1.ReplaceNamespacedPodAsync(pod, "immutable", "default");
        Assert.Equal("busybox:1.36", pod.Spec.Containers[0].Image);

        // What may not: the command, the node (that is pods/binding), a higher deadline, a removed toleration.
        foreach (Action<V1PodSpec> change in new Action<V1PodSpec>[]
        {
            s => s.Containers[0].Command = ["sleep", "1"],
            s => s.NodeName = "elsewhere",
            s => s.ActiveDeadlineSeconds = 900,
            s => s.Tolerations.RemoveAt(s.Tolerations.Count - 1),
        })
        {
            V1Pod edited = await _client.CoreV1.ReadNamespacedPodAsync("immutable", "default");
            change(edited.Spec);
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedPodAsync(edited, "immutable", "default"));
            Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
            using var status = System.Text.Json.JsonDocument.Parse(e.Response.Content);
            Assert.StartsWith("Pod \"immutable\" is invalid: spec", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        V1Pod stored = await _client.CoreV1.ReadNamespacedPodAsync("immutable", "default");
        Assert.Null(stored.Spec.Containers[0].Command);
        Assert.Equal(300, stored.Spec.ActiveDeadlineSeconds);
        await _client.CoreV1.DeleteNamespacedPodAsync("immutable", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
    }
}
