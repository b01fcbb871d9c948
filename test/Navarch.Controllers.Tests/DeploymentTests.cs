using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Tests;

/// <summary>The Deployment controller (with the ReplicaSet controller under it) against a real API server; the test plays the kubelet.</summary>
[Trait("Category", "Integration")]
public sealed class DeploymentTests : ControllerCluster
{
    private static V1Deployment Deployment(string name, int replicas, string image = "busybox:1.35") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = image }] },
            },
        },
    };

    private static V1DeploymentStrategy Rolling(int surge, int unavailable) => new()
    {
        Type = "RollingUpdate",
        RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = surge, MaxUnavailable = unavailable },
    };

    private static bool Ready(V1Pod p) => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private async Task<V1Deployment> WaitFor(string name, Func<V1Deployment, bool> done, string what, int seconds = 20)
    {
        V1Deployment? d = null;
        return await Eventually(
            async () => d = await Client.AppsV1.ReadNamespacedDeploymentAsync(name, "default"),
            done,
            $"{name} has {what}",
            TimeSpan.FromSeconds(seconds),
            detail: () => Task.FromResult($"status: {(d?.Status is null ? "none" : k8s.KubernetesJson.Serialize(d.Status))}"));
    }

    private static bool RolledOut(V1Deployment d) =>
        d.Status?.ObservedGeneration >= d.Metadata.Generation && d.Status.UpdatedReplicas == d.Spec.Replicas && d.Status.Replicas == d.Spec.Replicas
        && d.Status.AvailableReplicas == d.Spec.Replicas
        && d.Status.Conditions?.Any(c => c.Type == "Progressing" && c.Reason == "NewReplicaSetAvailable") == true;

    private async Task<List<V1ReplicaSet>> ReplicaSetsOf(string name) =>
        (await Client.AppsV1.ListNamespacedReplicaSetAsync("default", labelSelector: $"app={name}")).Items.OrderBy(rs => rs.Metadata.Annotations["deployment.kubernetes.io/revision"]).ToList();

    private Task PatchImage(string name, string image) =>
        Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch($"{{\"spec\":{{\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"c\",\"image\":\"{image}\"}}]}}}}}}}}", V1Patch.PatchType.MergePatch), name, "default");

    [Fact]
    public async Task A_rolling_update_stays_within_max_surge_and_max_unavailable_at_every_step()
    {
        await using var kubelet = new PlayedKubelet(Client, "default", _ => true);
        V1Deployment d = Deployment("web", 10);
        d.Spec.Strategy = Rolling(surge: 2, unavailable: 1);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(d, "default");
        await WaitFor("web", RolledOut, "rolled out");

        // Every pod event, in order, through an informer: the invariants hold in every state the cluster passes through.
        int maxPods = 0, minReady = int.MaxValue, events = 0;
        bool listed = false;
        var pods = new Informer<V1Pod>(Client, "default", "app=web");
        pods.AddHandler(new ResourceEventHandler<V1Pod>(_ => Observe()));
        void Observe()
        {
            if (!Volatile.Read(ref listed))
            {
                return; // the initial list arrives one object at a time
            }

            List<V1Pod> live = pods.Store.List().Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            lock (pods)
            {
                events++;
                maxPods = Math.Max(maxPods, live.Count);
                minReady = Math.Min(minReady, live.Count(Ready));
            }
        }

        using var stop = new CancellationTokenSource();
        Task watching = pods.RunAsync(stop.Token);
        await pods.WaitForSyncAsync();
        Volatile.Write(ref listed, true);
        Observe();
        await PatchImage("web", "busybox:1.36");
        d = await WaitFor("web", x => x.Metadata.Generation == 2 && RolledOut(x), "the new template rolled out", 40);
        await stop.CancelAsync();
        await watching;

        Assert.True(events > 20, $"only {events} pod events observed");
        // maxSurge bounds the ReplicaSets' replicas (10 + 2), as in Kubernetes; a scaled-down set's pod may still be
        // on its way out while the new set's pod is created, so the live pods can briefly be one more.
        Assert.InRange(maxPods, 11, 13);
        Assert.InRange(minReady, 9, 10);

        List<V1ReplicaSet> sets = await ReplicaSetsOf("web");
        Assert.Equal(2, sets.Count);
        Assert.Equal(["1", "2"], sets.Select(rs => rs.Metadata.Annotations["deployment.kubernetes.io/revision"]));
        Assert.Equal(0, sets[0].Spec.Replicas);
        Assert.Equal(10, sets[1].Spec.Replicas);
        string hash = sets[1].Metadata.Labels["pod-template-hash"];
        Assert.Equal($"web-{hash}", sets[1].Metadata.Name);
        Assert.Equal(hash, sets[1].Spec.Selector.MatchLabels["pod-template-hash"]);
        Assert.All((await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=web")).Items.Where(p => p.Metadata.DeletionTimestamp is null),
            p => Assert.Equal(hash, p.Metadata.Labels["pod-template-hash"]));
        Assert.Equal("2", d.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        Assert.Contains(d.Status.Conditions, c => c.Type == "Available" && c.Status == "True" && c.Reason == "MinimumReplicasAvailable");
    }

    [Fact]
    public async Task Rolling_back_to_an_earlier_template_reuses_its_replica_set_as_the_newest_revision()
    {
        await using var kubelet = new PlayedKubelet(Client, "default", _ => true);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("back", 3), "default");
        await WaitFor("back", RolledOut, "rolled out");
        await PatchImage("back", "busybox:1.36");
        await WaitFor("back", x => x.Metadata.Generation == 2 && RolledOut(x), "revision 2");

        // kubectl rollout undo sends the old template back; the controller finds its ReplicaSet.
        await PatchImage("back", "busybox:1.35");
        await WaitFor("back", x => x.Metadata.Generation == 3 && RolledOut(x), "the rollback");
        List<V1ReplicaSet> sets = await ReplicaSetsOf("back");
        Assert.Equal(2, sets.Count);
        V1ReplicaSet first = sets.Single(rs => rs.Spec.Template.Spec.Containers[0].Image == "busybox:1.35");
        Assert.Equal("3", first.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        Assert.Equal("1", first.Metadata.Annotations["deployment.kubernetes.io/revision-history"]);
        Assert.Equal(3, first.Spec.Replicas);
        Assert.Equal(0, sets.Single(rs => rs != first).Spec.Replicas);
    }

    [Fact]
    public async Task Recreate_removes_every_old_pod_before_starting_a_new_one()
    {
        await using var kubelet = new PlayedKubelet(Client, "default", _ => true);
        V1Deployment d = Deployment("re", 3);
        d.Spec.Strategy = new V1DeploymentStrategy { Type = "Recreate" };
        await Client.AppsV1.CreateNamespacedDeploymentAsync(d, "default");
        await WaitFor("re", RolledOut, "rolled out");

        bool mixed = false;
        var pods = new Informer<V1Pod>(Client, "default", "app=re");
        pods.AddHandler(new ResourceEventHandler<V1Pod>(_ => Observe()));
        void Observe()
        {
            int hashes = pods.Store.List().Select(p => p.Metadata.Labels["pod-template-hash"]).Distinct().Count();
            mixed |= hashes > 1;
        }

        using var stop = new CancellationTokenSource();
        Task watching = pods.RunAsync(stop.Token);
        await pods.WaitForSyncAsync();
        await PatchImage("re", "busybox:1.36");
        await WaitFor("re", x => x.Metadata.Generation == 2 && RolledOut(x), "the new template");
        await stop.CancelAsync();
        await watching;
        Assert.False(mixed, "old and new pods existed at the same time");
    }

    [Fact]
    public async Task A_paused_deployment_does_not_roll_until_resumed()
    {
        await using var kubelet = new PlayedKubelet(Client, "default", _ => true);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("p", 2), "default");
        await WaitFor("p", RolledOut, "rolled out");
        await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"paused\":true}}", V1Patch.PatchType.MergePatch), "p", "default");
        await PatchImage("p", "busybox:1.36");
        // The marker: the paused condition written by a sync of the new template's generation, which made no new set.
        await WaitFor("p", x => x.Status.ObservedGeneration == x.Metadata.Generation && x.Status.Conditions.Any(c => c.Type == "Progressing" && c.Reason == "DeploymentPaused" && c.Status == "Unknown"), "the paused condition");
        Assert.Single(await ReplicaSetsOf("p"));

        await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"paused\":false}}", V1Patch.PatchType.MergePatch), "p", "default");
        await WaitFor("p", x => x.Metadata.Generation == 4 && RolledOut(x), "the rollout after resume");
        Assert.Equal(2, (await ReplicaSetsOf("p")).Count);
    }

    [Fact]
    public async Task A_rollout_that_makes_no_progress_exceeds_its_deadline()
    {
        V1Deployment d = Deployment("stuck", 2);
        d.Spec.ProgressDeadlineSeconds = 2;
        await Client.AppsV1.CreateNamespacedDeploymentAsync(d, "default");
        // No kubelet: the pods never become ready.
        V1Deployment stuck = await WaitFor("stuck", x => x.Status?.Conditions?.Any(c => c.Type == "Progressing" && c.Status == "False") == true, "ProgressDeadlineExceeded", 15);
        V1DeploymentCondition progressing = stuck.Status.Conditions.Single(c => c.Type == "Progressing");
        Assert.Equal("ProgressDeadlineExceeded", progressing.Reason);
        Assert.Contains(stuck.Status.Conditions, c => c.Type == "Available" && c.Status == "False" && c.Reason == "MinimumReplicasUnavailable");
    }

    [Fact]
    public async Task Scaling_in_the_middle_of_a_rollout_spreads_replicas_in_proportion()
    {
        // Only the first template's pods ever become ready, so the rollout stalls part way.
        await using var kubelet = new PlayedKubelet(Client, "default", p => p.Spec.Containers[0].Image == "busybox:1.35");
        V1Deployment d = Deployment("prop", 10);
        d.Spec.Strategy = Rolling(surge: 3, unavailable: 2);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(d, "default");
        await WaitFor("prop", RolledOut, "rolled out");
        await PatchImage("prop", "busybox:broken");

        // 10 + 3 surge, 8 available at least: the old set goes to 8, the new one to 5, and there it stays.
        await WaitFor("prop", x => x.Status?.UpdatedReplicas == 5 && x.Status.Replicas == 13, "the stalled rollout");
        await Client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("{\"spec\":{\"replicas\":20}}", V1Patch.PatchType.MergePatch), "prop", "default");
        await WaitFor("prop", x => x.Status?.Replicas == 23, "23 replicas");
        List<V1ReplicaSet> sets = await ReplicaSetsOf("prop");
        Assert.Equal(14, sets[0].Spec.Replicas);
        Assert.Equal(9, sets[1].Spec.Replicas);
        Assert.All(sets, rs => Assert.Equal("20", rs.Metadata.Annotations["deployment.kubernetes.io/desired-replicas"]));
    }

    [Fact]
    public async Task Old_replica_sets_beyond_the_history_limit_are_deleted()
    {
        await using var kubelet = new PlayedKubelet(Client, "default", _ => true);
        V1Deployment d = Deployment("hist", 1);
        d.Spec.RevisionHistoryLimit = 1;
        await Client.AppsV1.CreateNamespacedDeploymentAsync(d, "default");
        await WaitFor("hist", RolledOut, "rolled out");
        for (int generation = 2; generation <= 4; generation++)
        {
            await PatchImage("hist", $"busybox:1.{34 + generation}");
            int expected = generation;
            await WaitFor("hist", x => x.Metadata.Generation == expected && RolledOut(x), $"generation {generation}");
        }

        await Eventually(async () => (await ReplicaSetsOf("hist")).Count <= 2, "the replica sets beyond the history limit are deleted", TimeSpan.FromSeconds(5));
        Assert.Equal(["3", "4"], (await ReplicaSetsOf("hist")).Select(rs => rs.Metadata.Annotations["deployment.kubernetes.io/revision"]));
    }
}
