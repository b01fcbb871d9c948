using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// PodDisruptionBudgets kept by the disruption controller and honoured by <c>pods/eviction</c>, against a real API
/// server with the real controllers. No kubelet runs: pods are marked ready where a test needs healthy pods.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DisruptionTests : ControllerCluster
{
    private const string Ns = "default";

    private static Dictionary<string, string> Labels(string app) => new() { ["app"] = app };

    private static V1PodDisruptionBudget Budget(string name, string app, IntOrString? minAvailable = null, IntOrString? maxUnavailable = null, string? unhealthyPolicy = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodDisruptionBudgetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = Labels(app) },
            MinAvailable = minAvailable,
            MaxUnavailable = maxUnavailable,
            UnhealthyPodEvictionPolicy = unhealthyPolicy,
        },
    };

    private async Task<V1Pod> PodAsync(string name, string app, bool ready = true, string? phase = null)
    {
        V1Pod pod = await Client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = Labels(app) },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
            },
            Ns);
        if (ready)
        {
            await PlayedKubelet.MarkReadyAsync(Client, pod);
        }
        else if (phase is not null)
        {
            pod.Status = new V1PodStatus { Phase = phase };
            await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, Ns);
        }

        return await Client.CoreV1.ReadNamespacedPodAsync(name, Ns);
    }

    private Task<V1PodDisruptionBudget> StatusAsync(string name, Func<V1PodDisruptionBudgetStatus, bool> done, string what) =>
        Eventually(
            () => Client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync(name, Ns),
            b => b.Status is { } s && (b.Status.ObservedGeneration ?? 0) == (b.Metadata.Generation ?? 0) && done(s),
            what,
            TimeSpan.FromSeconds(20),
            detail: async () => JsonSerializer.Serialize((await Client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync(name, Ns)).Status));

    private Task EvictAsync(string pod) =>
        Client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = pod, NamespaceProperty = Ns } }, pod, Ns);

    private async Task<V1Status> EvictionRefusedAsync(string pod, HttpStatusCode code)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => EvictAsync(pod));
        Assert.Equal(code, e.Response.StatusCode);
        return KubernetesJson.Deserialize<V1Status>(e.Response.Content);
    }

    /// <summary>Whether a version of budget <paramref name="name"/> after <paramref name="since"/> lists <paramref name="pod"/> in disruptedPods.</summary>
    private async Task<bool> RecordedAsDisruptedAsync(string name, string pod, string since, CancellationToken cancellationToken)
    {
        await foreach ((WatchEventType _, V1PodDisruptionBudget budget) in Client.PolicyV1.WatchListNamespacedPodDisruptionBudgetAsync(
            Ns, fieldSelector: "metadata.name=" + name, resourceVersion: since, cancellationToken: cancellationToken))
        {
            if (budget.Status?.DisruptedPods?.ContainsKey(pod) == true)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<bool> GoneAsync(string pod) =>
        !(await Client.CoreV1.ListNamespacedPodAsync(Ns)).Items.Any(p => p.Metadata.Name == pod && p.Metadata.DeletionTimestamp is null);

    [Fact]
    public async Task A_minAvailable_budget_allows_one_eviction_then_refuses_with_Kubernetes_429()
    {
        foreach (string name in new[] { "web-0", "web-1", "web-2" })
        {
            await PodAsync(name, "web");
        }

        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("web", "web", minAvailable: (IntOrString)2), Ns);
        V1PodDisruptionBudget pdb = await StatusAsync("web", s => s.CurrentHealthy == 3, "the budget counts 3 healthy pods");
        Assert.Equal((3, 2, 3, 1), (pdb.Status.CurrentHealthy, pdb.Status.DesiredHealthy, pdb.Status.ExpectedPods, pdb.Status.DisruptionsAllowed));
        V1Condition condition = Assert.Single(pdb.Status.Conditions);
        Assert.Equal(("DisruptionAllowed", "True", "SufficientPods"), (condition.Type, condition.Status, condition.Reason));

        // The eviction records the pod in disruptedPods; the controller drops the entry once it sees the pod go, which
        // may be at once here (no kubelet), so the record is watched for rather than read afterwards.
        using var watching = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<bool> recorded = RecordedAsDisruptedAsync("web", "web-0", pdb.Metadata.ResourceVersion, watching.Token);
        await EvictAsync("web-0");
        Assert.True(await recorded);
        Assert.True(await GoneAsync("web-0"));
        V1PodDisruptionBudget after = await Client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("web", Ns);
        Assert.Equal(0, after.Status.DisruptionsAllowed);
        Assert.Equal(("False", "InsufficientPods"), (after.Status.Conditions[0].Status, after.Status.Conditions[0].Reason));

        V1Status refused = await EvictionRefusedAsync("web-1", HttpStatusCode.TooManyRequests);
        Assert.Equal(("Failure", "TooManyRequests", 429), (refused.Status, refused.Reason, refused.Code));
        Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", refused.Message);
        V1StatusCause cause = Assert.Single(refused.Details.Causes);
        Assert.Equal(("DisruptionBudget", "The disruption budget web needs 2 healthy pods and has 2 currently"), (cause.Reason, cause.Message));
        Assert.False(await GoneAsync("web-1"));

        // The controller forgets the eviction once the pod is gone, and a new healthy pod allows one again.
        await StatusAsync("web", s => s.CurrentHealthy == 2 && (s.DisruptedPods is null || s.DisruptedPods.Count == 0), "the evicted pod leaves disruptedPods");
        await PodAsync("web-3", "web");
        await StatusAsync("web", s => s.DisruptionsAllowed == 1, "a replacement allows a disruption again");
        await EvictAsync("web-1");
    }

    [Fact]
    public async Task An_evicted_pod_gets_the_DisruptionTarget_condition_before_it_is_deleted()
    {
        // A finalizer keeps the deleted pod readable; one eviction goes through a budget, one bypasses it (pending).
        foreach ((string name, bool ready) in new[] { ("held-0", true), ("held-1", true), ("held-pending", false), ("held-other", false) })
        {
            await PodAsync(name, "held", ready, phase: ready ? null : "Pending");
            await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}", V1Patch.PatchType.MergePatch), name, Ns);
        }

        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("held", "held", minAvailable: (IntOrString)1), Ns);
        await StatusAsync("held", s => s.DisruptionsAllowed == 1, "the budget allows one disruption");

        // A dry run changes nothing.
        await Client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "held-0" } }, "held-0", Ns, dryRun: "All");
        V1Pod untouched = await Client.CoreV1.ReadNamespacedPodAsync("held-0", Ns);
        Assert.Null(untouched.Metadata.DeletionTimestamp);
        Assert.DoesNotContain(untouched.Status.Conditions ?? [], c => c.Type == "DisruptionTarget");

        foreach (string name in new[] { "held-0", "held-pending" })
        {
            DateTime before = DateTime.UtcNow.AddSeconds(-1);
            await EvictAsync(name);
            V1Pod evicted = await Client.CoreV1.ReadNamespacedPodAsync(name, Ns);
            Assert.NotNull(evicted.Metadata.DeletionTimestamp);
            V1PodCondition target = Assert.Single(evicted.Status.Conditions, c => c.Type == "DisruptionTarget");
            Assert.Equal(("True", "EvictionByEvictionAPI", "Eviction API: evicting"), (target.Status, target.Reason, target.Message));
            Assert.True(target.LastTransitionTime >= before, $"{target.LastTransitionTime:o} is after {before:o}");
        }

        // A uid precondition naming another pod refuses before anything is written.
        HttpOperationException conflict = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedPodEvictionAsync(
            new V1Eviction { Metadata = new V1ObjectMeta { Name = "held-other" }, DeleteOptions = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = "not-the-uid" } } }, "held-other", Ns));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.Contains("the UID in the precondition (not-the-uid) does not match the UID in record", conflict.Response.Content, StringComparison.Ordinal);
        V1Pod kept = await Client.CoreV1.ReadNamespacedPodAsync("held-other", Ns);
        Assert.Null(kept.Metadata.DeletionTimestamp);
        Assert.DoesNotContain(kept.Status.Conditions ?? [], c => c.Type == "DisruptionTarget");

        foreach (string name in new[] { "held-0", "held-1", "held-pending", "held-other" })
        {
            await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), name, Ns);
        }
    }

    [Fact]
    public async Task Two_racing_evictions_cannot_both_take_a_budget_of_one()
    {
        foreach (string name in new[] { "race-0", "race-1", "race-2" })
        {
            await PodAsync(name, "race");
        }

        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("race", "race", maxUnavailable: (IntOrString)1), Ns);
        // Bare pods have no controller to scale maxUnavailable against: they are reported, not counted, and nothing is allowed.
        V1PodDisruptionBudget unmanaged = await StatusAsync("race", s => s.CurrentHealthy == 3, "the bare pods are healthy");
        Assert.Equal((0, 0, 0), (unmanaged.Status.ExpectedPods, unmanaged.Status.DesiredHealthy, unmanaged.Status.DisruptionsAllowed));
        Assert.Equal(("False", "InsufficientPods"), (unmanaged.Status.Conditions[0].Status, unmanaged.Status.Conditions[0].Reason));
        await Eventually(
            async () => (await Client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.uid={unmanaged.Metadata.Uid}")).Items.Any(e => e.Reason == "UnmanagedPods"),
            "an UnmanagedPods warning on the budget");

        await Client.PolicyV1.DeleteNamespacedPodDisruptionBudgetAsync("race", Ns);
        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("race2", "race", minAvailable: (IntOrString)2), Ns);
        await StatusAsync("race2", s => s.DisruptionsAllowed == 1, "one disruption allowed");

        Task[] evictions = new[] { "race-0", "race-1", "race-2" }.Select(EvictAsync).ToArray();
        try
        {
            await Task.WhenAll(evictions);
        }
        catch (HttpOperationException)
        {
            // Judged below, one by one.
        }

        Assert.Equal(1, evictions.Count(t => t.IsCompletedSuccessfully));
        Assert.All(
            evictions.Where(t => t.IsFaulted),
            t => Assert.Equal(HttpStatusCode.TooManyRequests, ((HttpOperationException)t.Exception!.InnerException!).Response.StatusCode));
        Assert.Equal(2, (await Client.CoreV1.ListNamespacedPodAsync(Ns, labelSelector: "app=race")).Items.Count(p => p.Metadata.DeletionTimestamp is null));
    }

    [Fact]
    public async Task Percentages_count_the_scale_of_the_pods_controllers()
    {
        await using var kubelet = new PlayedKubelet(Client, Ns, _ => true);
        V1ReplicaSet rs = TestObjects.ReplicaSet("pct", 4);
        rs.Spec.Template.Metadata.Labels["app"] = "pct";
        await Client.AppsV1.CreateNamespacedReplicaSetAsync(rs, Ns);
        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("pct", "pct", maxUnavailable: (IntOrString)"30%"), Ns);
        // 30% of 4 rounds up to 2 unavailable: 2 must stay healthy.
        V1PodDisruptionBudget pdb = await StatusAsync("pct", s => s.CurrentHealthy == 4, "four healthy pods");
        Assert.Equal((4, 2, 2), (pdb.Status.ExpectedPods, pdb.Status.DesiredHealthy, pdb.Status.DisruptionsAllowed));

        // minAvailable as a percentage also reads the ReplicaSet's scale; scaling it moves the expectation.
        await Client.PolicyV1.PatchNamespacedPodDisruptionBudgetAsync(new V1Patch("{\"spec\":{\"maxUnavailable\":null,\"minAvailable\":\"50%\"}}", V1Patch.PatchType.MergePatch), "pct", Ns);
        pdb = await StatusAsync("pct", s => s.DesiredHealthy == 2 && s.ExpectedPods == 4, "50% of 4");
        Assert.Equal(2, pdb.Status.ObservedGeneration);
        await Client.AppsV1.PatchNamespacedReplicaSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":6}}", V1Patch.PatchType.MergePatch), "pct", Ns);
        pdb = await StatusAsync("pct", s => s.ExpectedPods == 6 && s.CurrentHealthy == 6, "the scale of 6 is expected");
        Assert.Equal((3, 3), (pdb.Status.DesiredHealthy, pdb.Status.DisruptionsAllowed));
    }

    [Fact]
    public async Task A_Deployments_pods_count_as_the_Deployment_and_a_Job_has_no_scale()
    {
        await using var kubelet = new PlayedKubelet(Client, Ns, _ => true);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = "dep" },
                Spec = new V1DeploymentSpec
                {
                    Replicas = 3,
                    Selector = new V1LabelSelector { MatchLabels = Labels("dep") },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = Labels("dep") },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
                    },
                },
            },
            Ns);
        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("dep", "dep", maxUnavailable: (IntOrString)1), Ns);
        V1PodDisruptionBudget pdb = await StatusAsync("dep", s => s.CurrentHealthy == 3, "three healthy pods of the Deployment");
        Assert.Equal((3, 2, 1), (pdb.Status.ExpectedPods, pdb.Status.DesiredHealthy, pdb.Status.DisruptionsAllowed));

        await Client.BatchV1.CreateNamespacedJobAsync(
            new V1Job
            {
                Metadata = new V1ObjectMeta { Name = "batch" },
                Spec = new V1JobSpec
                {
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = Labels("batch") },
                        Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
                    },
                },
            },
            Ns);
        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("batch", "batch", minAvailable: (IntOrString)"50%"), Ns);
        V1PodDisruptionBudget job = await Eventually(
            () => Client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("batch", Ns),
            b => b.Status?.Conditions?.Any(c => c.Reason == "SyncFailed") == true,
            "the Job's pods fail the budget safe",
            TimeSpan.FromSeconds(20));
        Assert.Equal("jobs.batch does not implement the scale subresource", job.Status.Conditions[0].Message);
    }

    [Fact]
    public async Task Unhealthy_terminal_and_doubly_budgeted_pods_are_judged_as_Kubernetes_judges_them()
    {
        await PodAsync("u-0", "u");
        await PodAsync("u-1", "u");
        await PodAsync("u-sick", "u", ready: false, phase: "Running");
        await PodAsync("u-done", "u", ready: false, phase: "Succeeded");
        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("u", "u", minAvailable: (IntOrString)3), Ns);
        await StatusAsync("u", s => s.CurrentHealthy == 2 && s.DesiredHealthy == 3, "2 of 3 healthy");

        // IfHealthyBudget (the default): an unready pod may go only while the budget is met.
        V1Status refused = await EvictionRefusedAsync("u-sick", HttpStatusCode.TooManyRequests);
        Assert.Equal("The disruption budget u needs 3 healthy pods and has 2 currently", refused.Details.Causes[0].Message);

        // A terminal pod disrupts nothing more: always evictable.
        await EvictAsync("u-done");
        Assert.True(await GoneAsync("u-done"));

        // AlwaysAllow: the unready pod goes, taking no disruption.
        await Client.PolicyV1.PatchNamespacedPodDisruptionBudgetAsync(new V1Patch("{\"spec\":{\"unhealthyPodEvictionPolicy\":\"AlwaysAllow\"}}", V1Patch.PatchType.MergePatch), "u", Ns);
        await StatusAsync("u", s => s.CurrentHealthy == 2, "the policy change is observed");
        await EvictAsync("u-sick");
        Assert.True(await GoneAsync("u-sick"));
        Assert.Equal(0, (await Client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("u", Ns)).Status.DisruptedPods?.Count ?? 0);

        // Two budgets over one pod: the eviction subresource refuses to choose.
        await Client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(Budget("u-too", "u", maxUnavailable: (IntOrString)1), Ns);
        V1Status twice = await EvictionRefusedAsync("u-0", HttpStatusCode.InternalServerError);
        Assert.Equal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.", twice.Message);

        // The Eviction must name the pod of the URL.
        HttpOperationException mismatch = await Assert.ThrowsAsync<HttpOperationException>(() =>
            Client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "other" } }, "u-0", Ns));
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.Response.StatusCode);
        Assert.Contains("name in URL does not match name in Eviction object", mismatch.Response.Content, StringComparison.Ordinal);
    }
}
