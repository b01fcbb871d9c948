using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The DaemonSet controller against a real API server. No scheduler or kubelet runs: the test creates the nodes and
/// plays the kubelet, setting pod status; daemon pods are found on their node through the node affinity they carry.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DaemonSetTests : ControllerCluster
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static V1DaemonSet DaemonSet(string name, Dictionary<string, string>? nodeSelector = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["ds"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["ds"] = name } },
                Spec = new V1PodSpec { NodeSelector = nodeSelector, Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
            },
        },
    };

    private async Task CreateNode(string name, Dictionary<string, string> labels, params V1Taint[] taints) =>
        await Client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : taints },
        });

    private async Task<List<V1Pod>> PodsOf(string name) =>
        (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"ds={name}")).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();

    private static string? NodeOf(V1Pod pod) =>
        pod.Spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms?.SingleOrDefault()?.MatchFields?.SingleOrDefault(f => f.Key == "metadata.name")?.Values?.SingleOrDefault();

    private static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>Plays the kubelet: the pod runs and is ready.</summary>
    private async Task MarkReady(V1Pod pod)
    {
        pod.Status = new V1PodStatus
        {
            Phase = "Running",
            Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow.AddMinutes(-1) }],
        };
        try
        {
            await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, pod.Metadata.Name, "default");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
        {
            // Deleted or changed meanwhile: the next round sees it again.
        }
    }

    /// <summary>Waits until the pods of <paramref name="name"/> sit on exactly <paramref name="nodes"/>, and stay so.</summary>
    private async Task WaitForNodes(string name, params string[] nodes)
    {
        string[] want = nodes.Order(StringComparer.Ordinal).ToArray();
        await Eventually(
            async () =>
            {
                if (!Same(await PodsOf(name)))
                {
                    return false;
                }

                // "And stay so": nothing marks that no create or delete is on its way, so the placement has to hold
                // over a short window.
                await Task.Delay(300);
                return Same(await PodsOf(name));
            },
            $"{name} runs on [{string.Join(", ", want)}]",
            Deadline,
            detail: async () => $"runs on [{string.Join(", ", (await PodsOf(name)).Select(NodeOf))}]");

        bool Same(List<V1Pod> pods) => pods.Select(p => NodeOf(p) ?? "?").Order(StringComparer.Ordinal).SequenceEqual(want);
    }

    private async Task<V1DaemonSetStatus> WaitForStatus(string name, Func<V1DaemonSetStatus, bool> done)
    {
        V1DaemonSetStatus? status = null;
        return (await Eventually(
            async () => status = (await Client.AppsV1.ReadNamespacedDaemonSetAsync(name, "default")).Status,
            s => s is not null && done(s),
            $"{name}'s status gets there",
            Deadline,
            detail: () => Task.FromResult(KubernetesJson.Serialize(status))))!;
    }

    [Fact]
    public async Task Runs_one_pod_per_eligible_node_pinned_by_affinity_with_the_daemon_tolerations()
    {
        var worker = new Dictionary<string, string> { ["role"] = "worker" };
        await CreateNode("n1", worker);
        await CreateNode("n2", worker, new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" });
        await CreateNode("n3", new Dictionary<string, string> { ["role"] = "edge" });
        await Client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet("agent", worker), "default");

        await WaitForNodes("agent", "n1");
        V1Pod pod = Assert.Single(await PodsOf("agent"));
        Assert.True(string.IsNullOrEmpty(pod.Spec.NodeName));
        V1NodeSelectorRequirement pin = Assert.Single(Assert.Single(pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms).MatchFields);
        Assert.Equal(("metadata.name", "In", "n1"), (pin.Key, pin.OperatorProperty, Assert.Single(pin.Values)));
        foreach (string key in new[] { "not-ready", "unreachable" })
        {
            V1Toleration t = Assert.Single(pod.Spec.Tolerations, t => t.Key == $"node.kubernetes.io/{key}");
            Assert.Equal(("Exists", "NoExecute", null), (t.OperatorProperty, t.Effect, t.TolerationSeconds));
        }

        foreach (string key in new[] { "disk-pressure", "memory-pressure", "pid-pressure", "unschedulable" })
        {
            Assert.Contains(pod.Spec.Tolerations, t => t.Key == $"node.kubernetes.io/{key}" && t.Effect == "NoSchedule" && t.OperatorProperty == "Exists");
        }

        Assert.DoesNotContain(pod.Spec.Tolerations, t => t.Key == "node.kubernetes.io/network-unavailable");
        Assert.Equal("1", pod.Metadata.Labels["pod-template-generation"]);
        Assert.False(string.IsNullOrEmpty(pod.Metadata.Labels["controller-revision-hash"]));
        V1OwnerReference owner = Assert.Single(pod.Metadata.OwnerReferences);
        Assert.Equal(("DaemonSet", "agent", true), (owner.Kind, owner.Name, owner.Controller));

        // A new eligible node gets a pod.
        await CreateNode("n4", worker);
        await WaitForNodes("agent", "n1", "n4");
        V1DaemonSetStatus status = await WaitForStatus("agent", s => s.DesiredNumberScheduled == 2 && s.CurrentNumberScheduled == 2);
        Assert.Equal(0, status.NumberMisscheduled);
        Assert.Equal(2, status.UpdatedNumberScheduled);
        Assert.Equal(2, status.NumberUnavailable);

        // A node that stops matching the nodeSelector loses its pod.
        await Client.CoreV1.PatchNodeAsync(new V1Patch("{\"metadata\":{\"labels\":{\"role\":\"edge\"}}}", V1Patch.PatchType.MergePatch), "n4");
        await WaitForNodes("agent", "n1");

        // The kubelet's view is reported; a failed pod is replaced.
        await MarkReady(Assert.Single(await PodsOf("agent")));
        status = await WaitForStatus("agent", s => s.NumberReady == 1);
        Assert.Equal((1, 1, 0, 1L), (status.DesiredNumberScheduled, status.NumberAvailable, status.NumberUnavailable ?? 0, status.ObservedGeneration ?? 0));
        V1Pod failing = Assert.Single(await PodsOf("agent"));
        failing.Status.Phase = "Failed";
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(failing, failing.Metadata.Name, "default");
        await Eventually(async () => (await PodsOf("agent")).Any(p => p.Metadata.Uid != failing.Metadata.Uid), "the failed pod is replaced", Deadline);

        await WaitForNodes("agent", "n1");
        Assert.NotEqual(failing.Metadata.Uid, Assert.Single(await PodsOf("agent")).Metadata.Uid);
    }

    [Fact]
    public async Task A_template_change_rolls_one_node_at_a_time_with_max_unavailable_one()
    {
        string[] nodes = ["r1", "r2", "r3"];
        foreach (string node in nodes)
        {
            await CreateNode(node, new Dictionary<string, string>());
        }

        V1DaemonSet ds = await Client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet("roll"), "default");
        Assert.Equal("1", ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value);
        await WaitForNodes("roll", nodes);
        foreach (V1Pod pod in await PodsOf("roll"))
        {
            await MarkReady(pod);
        }

        await WaitForStatus("roll", s => s.NumberAvailable == 3);
        string oldHash = (await PodsOf("roll"))[0].Metadata.Labels["controller-revision-hash"];

        await Client.AppsV1.PatchNamespacedDaemonSetAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}}}", V1Patch.PatchType.MergePatch), "roll", "default");
        int worst = 0;
        await Eventually(
            async () =>
            {
                List<V1Pod> pods = await PodsOf("roll");
                int unavailable = nodes.Count(n => !pods.Any(p => NodeOf(p) == n && IsReady(p)));
                worst = Math.Max(worst, unavailable);
                foreach (V1Pod pod in pods.Where(p => !IsReady(p)))
                {
                    await MarkReady(pod);
                }

                return pods.Count == 3 && unavailable == 0 && pods.All(p => p.Spec.Containers[0].Image == "busybox:1.36");
            },
            "the rollout finishes",
            Deadline,
            TimeSpan.FromMilliseconds(30));
        Assert.Equal(1, worst);
        List<V1Pod> updated = await PodsOf("roll");
        Assert.All(updated, p => Assert.NotEqual(oldHash, p.Metadata.Labels["controller-revision-hash"]));
        Assert.All(updated, p => Assert.Equal("2", p.Metadata.Labels["pod-template-generation"]));
        Assert.Equal(nodes, updated.Select(p => NodeOf(p)!).Order(StringComparer.Ordinal));

        V1DaemonSetStatus status = await WaitForStatus("roll", s => s.UpdatedNumberScheduled == 3 && s.NumberAvailable == 3);
        Assert.Equal(2, status.ObservedGeneration);
        List<V1ControllerRevision> revisions = (await Client.AppsV1.ListNamespacedControllerRevisionAsync("default")).Items
            .Where(r => r.Metadata.OwnerReferences?.Any(o => o.Uid == ds.Metadata.Uid && o.Controller == true) == true)
            .OrderBy(r => r.Revision).ToList();
        Assert.Equal(2, revisions.Count);
        Assert.Equal([1L, 2L], revisions.Select(r => r.Revision ?? 0));
        Assert.Equal($"roll-{oldHash}", revisions[0].Metadata.Name);
        Assert.Equal(oldHash, revisions[0].Metadata.Labels["controller.kubernetes.io/hash"]);
        Assert.Equal($"roll-{updated[0].Metadata.Labels["controller-revision-hash"]}", revisions[1].Metadata.Name);

        // Settled: the controller writes nothing more.
        string version = (await Client.AppsV1.ReadNamespacedDaemonSetAsync("roll", "default")).Metadata.ResourceVersion;
        // A write that does not happen has no event to await: a second of quiet is the check.
        await Task.Delay(1000);
        Assert.Equal(version, (await Client.AppsV1.ReadNamespacedDaemonSetAsync("roll", "default")).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task With_max_surge_a_new_pod_starts_beside_the_old_one_and_no_node_goes_without()
    {
        string[] nodes = ["s1", "s2", "s3"];
        foreach (string node in nodes)
        {
            await CreateNode(node, new Dictionary<string, string>());
        }

        V1DaemonSet surge = DaemonSet("surge");
        surge.Spec.UpdateStrategy = new V1DaemonSetUpdateStrategy
        {
            Type = "RollingUpdate",
            RollingUpdate = new V1RollingUpdateDaemonSet { MaxSurge = "1", MaxUnavailable = "0" },
        };
        await Client.AppsV1.CreateNamespacedDaemonSetAsync(surge, "default");
        await WaitForNodes("surge", nodes);
        foreach (V1Pod pod in await PodsOf("surge"))
        {
            await MarkReady(pod);
        }

        await WaitForStatus("surge", s => s.NumberAvailable == 3);
        await Client.AppsV1.PatchNamespacedDaemonSetAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}}}", V1Patch.PatchType.MergePatch), "surge", "default");
        int mostDoubled = 0;
        int leastReadyNodes = 3;
        await Eventually(
            async () =>
            {
                List<V1Pod> pods = await PodsOf("surge");
                mostDoubled = Math.Max(mostDoubled, nodes.Count(n => pods.Count(p => NodeOf(p) == n) == 2));
                leastReadyNodes = Math.Min(leastReadyNodes, nodes.Count(n => pods.Any(p => NodeOf(p) == n && IsReady(p))));
                foreach (V1Pod pod in pods.Where(p => !IsReady(p)))
                {
                    await MarkReady(pod);
                }

                return pods.Count == 3 && pods.All(p => IsReady(p) && p.Spec.Containers[0].Image == "busybox:1.36");
            },
            "the surge rollout finishes",
            Deadline,
            TimeSpan.FromMilliseconds(30));
        Assert.Equal(1, mostDoubled);       // one node at a time had its new pod beside the old one
        Assert.Equal(3, leastReadyNodes);   // and every node always had a ready daemon pod
    }

    [Fact]
    public async Task OnDelete_replaces_only_deleted_pods_and_an_untolerated_NoExecute_taint_evicts()
    {
        await CreateNode("o1", new Dictionary<string, string>());
        await CreateNode("o2", new Dictionary<string, string>());
        V1DaemonSet spec = DaemonSet("ondelete");
        spec.Spec.UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "OnDelete" };
        await Client.AppsV1.CreateNamespacedDaemonSetAsync(spec, "default");
        await WaitForNodes("ondelete", "o1", "o2");
        List<V1Pod> before = await PodsOf("ondelete");

        await Client.AppsV1.PatchNamespacedDaemonSetAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}}}", V1Patch.PatchType.MergePatch), "ondelete", "default");
        // The marker: the controller has synced generation 2, and under OnDelete that sync replaced nothing.
        await WaitForStatus("ondelete", s => s.ObservedGeneration == 2);
        Assert.Equal(before.Select(p => p.Metadata.Uid).Order(), (await PodsOf("ondelete")).Select(p => p.Metadata.Uid).Order());

        // Only a deleted pod comes back with the new template.
        V1Pod onO1 = before.Single(p => NodeOf(p) == "o1");
        await Client.CoreV1.DeleteNamespacedPodAsync(onO1.Metadata.Name, "default");
        await Eventually(async () => (await PodsOf("ondelete")).Any(p => NodeOf(p) == "o1" && p.Metadata.Uid != onO1.Metadata.Uid), "the deleted pod on o1 comes back", Deadline);

        List<V1Pod> after = await PodsOf("ondelete");
        Assert.Equal("busybox:1.36", after.Single(p => NodeOf(p) == "o1").Spec.Containers[0].Image);
        Assert.Equal("busybox:1.35", after.Single(p => NodeOf(p) == "o2").Spec.Containers[0].Image);
        V1DaemonSetStatus status = await WaitForStatus("ondelete", s => s.CurrentNumberScheduled == 2 && s.UpdatedNumberScheduled == 1);
        Assert.Equal(2, status.DesiredNumberScheduled);

        // A NoSchedule taint lets the running pod stay; NoExecute evicts it.
        await Client.CoreV1.PatchNodeAsync(new V1Patch("{\"spec\":{\"taints\":[{\"key\":\"maint\",\"effect\":\"NoSchedule\"}]}}", V1Patch.PatchType.MergePatch), "o2");
        status = await WaitForStatus("ondelete", s => s.DesiredNumberScheduled == 1);
        Assert.Equal(1, status.NumberMisscheduled);
        await WaitForNodes("ondelete", "o1", "o2");
        await Client.CoreV1.PatchNodeAsync(new V1Patch("{\"spec\":{\"taints\":[{\"key\":\"maint\",\"effect\":\"NoExecute\"}]}}", V1Patch.PatchType.MergePatch), "o2");
        await WaitForNodes("ondelete", "o1");
    }

    [Fact]
    public async Task A_matching_orphan_on_a_node_is_adopted_instead_of_creating_a_pod()
    {
        await CreateNode("a1", new Dictionary<string, string>());
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "orphan", Labels = new Dictionary<string, string> { ["ds"] = "adopter" } },
            Spec = new V1PodSpec { NodeName = "a1", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        }, "default");
        // OnDelete: under RollingUpdate the adopted pod, of no known revision and not ready, would be replaced at once.
        V1DaemonSet spec = DaemonSet("adopter");
        spec.Spec.UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "OnDelete" };
        V1DaemonSet ds = await Client.AppsV1.CreateNamespacedDaemonSetAsync(spec, "default");
        await Eventually(async () => (await Client.CoreV1.ReadNamespacedPodAsync("orphan", "default")).Metadata.OwnerReferences is { Count: > 0 }, "the orphan is adopted", Deadline);

        V1OwnerReference owner = Assert.Single((await Client.CoreV1.ReadNamespacedPodAsync("orphan", "default")).Metadata.OwnerReferences);
        Assert.Equal((ds.Metadata.Uid, true), (owner.Uid, owner.Controller));

        // The marker: a status written after the adoption, with the node covered by the orphan.
        await WaitForStatus("adopter", s => s.DesiredNumberScheduled == 1 && s.CurrentNumberScheduled == 1);
        Assert.Equal("orphan", Assert.Single(await PodsOf("adopter")).Metadata.Name);
    }

    [Fact]
    public async Task Required_node_affinity_and_tolerations_choose_the_nodes()
    {
        await CreateNode("z1", new Dictionary<string, string> { ["zone"] = "a", ["gen"] = "5" });
        await CreateNode("z2", new Dictionary<string, string> { ["zone"] = "b", ["gen"] = "2" });
        await CreateNode("z3", new Dictionary<string, string> { ["zone"] = "c", ["gen"] = "9" });
        await CreateNode("z4", new Dictionary<string, string> { ["zone"] = "a", ["gen"] = "7", ["spot"] = "" });
        await CreateNode("z5", new Dictionary<string, string> { ["zone"] = "b", ["gen"] = "8" });
        await CreateNode("z6", new Dictionary<string, string> { ["zone"] = "a", ["gen"] = "6" }, new V1Taint { Key = "gpu", Value = "true", Effect = "NoSchedule" });
        await CreateNode("z7", new Dictionary<string, string> { ["zone"] = "a", ["gen"] = "6" }, new V1Taint { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" });
        V1DaemonSet spec = DaemonSet("affine");
        spec.Spec.Template.Spec.Tolerations = [new V1Toleration { Key = "gpu", OperatorProperty = "Equal", Value = "true", Effect = "NoSchedule" }];
        spec.Spec.Template.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms =
                    [
                        // zone a or b, generation above 4, not spot, and not z5 by name ...
                        new V1NodeSelectorTerm
                        {
                            MatchExpressions =
                            [
                                new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a", "b"] },
                                new V1NodeSelectorRequirement { Key = "gen", OperatorProperty = "Gt", Values = ["4"] },
                                new V1NodeSelectorRequirement { Key = "spot", OperatorProperty = "DoesNotExist" },
                            ],
                            MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "NotIn", Values = ["z5"] }],
                        },
                        // ... or an old generation outside zone a.
                        new V1NodeSelectorTerm
                        {
                            MatchExpressions =
                            [
                                new V1NodeSelectorRequirement { Key = "gen", OperatorProperty = "Lt", Values = ["3"] },
                                new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "NotIn", Values = ["a"] },
                                new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "Exists" },
                            ],
                        },
                    ],
                },
            },
        };
        await Client.AppsV1.CreateNamespacedDaemonSetAsync(spec, "default");
        await WaitForNodes("affine", "z1", "z2", "z6", "z7");
        V1Pod pod = (await PodsOf("affine")).First();
        Assert.Contains(pod.Spec.Tolerations, t => t.Key == "gpu");
        Assert.Single(pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms);
    }
}
