using System.Text.Json;

namespace Navarch.E2E.Tests;

/// <summary>
/// kubectl rollout status, history, undo, pause and resume against `navarch server`'s Deployment controller. No
/// kubelet runs here, so the test reports pods Running and Ready itself with kubectl, through the status subresource.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RolloutTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    private const string Ns = "rollout-test";

    private async Task<string> Ok(params string[] args)
    {
        Kubectl.Result r = await server.KubectlAsync(args);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r.Stdout;
    }

    /// <summary>Marks every pod of the namespace that is not yet Running as Running and Ready, until cancelled.</summary>
    private async Task PlayKubeletAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Kubectl.Result pods = await server.KubectlAsync("-n", Ns, "get", "pods", "-o", "json");
            if (pods.ExitCode == 0)
            {
                foreach (JsonElement pod in JsonDocument.Parse(pods.Stdout).RootElement.GetProperty("items").EnumerateArray())
                {
                    bool running = pod.TryGetProperty("status", out JsonElement status) && status.TryGetProperty("phase", out JsonElement phase) && phase.GetString() == "Running";
                    if (!running && !pod.GetProperty("metadata").TryGetProperty("deletionTimestamp", out _))
                    {
                        string since = DateTime.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
                        await server.KubectlAsync("-n", Ns, "patch", "pod", pod.GetProperty("metadata").GetProperty("name").GetString()!, "--subresource=status", "--type=merge",
                            "-p", $"{{\"status\":{{\"phase\":\"Running\",\"conditions\":[{{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"{since}\"}}]}}}}");
                    }
                }
            }

            try
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    [Fact]
    public async Task Rollout_status_history_undo_pause_and_resume_behave_as_on_kubernetes()
    {
        await Ok("create", "namespace", Ns);
        using var stop = new CancellationTokenSource();
        Task kubelet = PlayKubeletAsync(stop.Token);
        try
        {
            await Ok("-n", Ns, "create", "deployment", "roll", "--image=busybox:1.35", "--replicas=2");
            Assert.Contains("deployment \"roll\" successfully rolled out", await Ok("-n", Ns, "rollout", "status", "deployment/roll", "--timeout=60s"), StringComparison.Ordinal);

            await Ok("-n", Ns, "set", "image", "deployment/roll", "busybox=busybox:1.36");
            await Ok("-n", Ns, "annotate", "deployment/roll", "kubernetes.io/change-cause=move to 1.36");
            Assert.Contains("successfully rolled out", await Ok("-n", Ns, "rollout", "status", "deployment/roll", "--timeout=60s"), StringComparison.Ordinal);
            string history = await Ok("-n", Ns, "rollout", "history", "deployment/roll");
            Assert.Matches(@"(?m)^1\s+<none>", history);
            Assert.Matches(@"(?m)^2\s+move to 1\.36", history);

            Assert.Contains("deployment.apps/roll rolled back", await Ok("-n", Ns, "rollout", "undo", "deployment/roll"), StringComparison.Ordinal);
            Assert.Contains("successfully rolled out", await Ok("-n", Ns, "rollout", "status", "deployment/roll", "--timeout=60s"), StringComparison.Ordinal);
            Assert.Equal("busybox:1.35", await Ok("-n", Ns, "get", "deployment", "roll", "-o", "jsonpath={.spec.template.spec.containers[0].image}"));
            history = await Ok("-n", Ns, "rollout", "history", "deployment/roll");
            Assert.Matches(@"(?m)^2\s+", history);
            Assert.Matches(@"(?m)^3\s+", history);
            Assert.DoesNotMatch(@"(?m)^1\s+", history);
            Assert.Contains("image:\tbusybox:1.35", (await Ok("-n", Ns, "rollout", "history", "deployment/roll", "--revision=3")).Replace("Image:", "image:", StringComparison.Ordinal).Replace("      ", "\t", StringComparison.Ordinal).Replace("\t ", "\t", StringComparison.Ordinal).Replace(":\t\t", ":\t", StringComparison.Ordinal), StringComparison.Ordinal);

            Assert.Contains("deployment.apps/roll paused", await Ok("-n", Ns, "rollout", "pause", "deployment/roll"), StringComparison.Ordinal);
            await Ok("-n", Ns, "set", "image", "deployment/roll", "busybox=busybox:1.37");

            // The marker: the controller has observed the new generation, paused, so it made no new revision.
            await Eventually(
                async () => (await Ok("-n", Ns, "get", "deployment", "roll", "-o", "jsonpath={.metadata.generation} {.status.observedGeneration}")).Split(' ') is [var generation, var observed] && generation == observed,
                "the paused deployment's generation is observed",
                TimeSpan.FromSeconds(30),
                TimeSpan.FromMilliseconds(200));
            Assert.Equal("3", await Ok("-n", Ns, "get", "deployment", "roll", "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"));
            Assert.Contains("deployment.apps/roll resumed", await Ok("-n", Ns, "rollout", "resume", "deployment/roll"), StringComparison.Ordinal);
            Assert.Contains("successfully rolled out", await Ok("-n", Ns, "rollout", "status", "deployment/roll", "--timeout=60s"), StringComparison.Ordinal);
            Assert.Equal("4", await Ok("-n", Ns, "get", "deployment", "roll", "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"));
        }
        finally
        {
            await stop.CancelAsync();
            await kubelet;
        }
    }

    private async Task<int> CountAsync(string ns, string kind, string selector)
    {
        string names = await Ok("-n", ns, "get", kind, "-l", selector, "-o", "name");
        return names.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    private Task WaitForCountAsync(string ns, string kind, string selector, int count) =>
        Eventually(async () => await CountAsync(ns, kind, selector) == count, $"{count} {kind} with {selector}", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

    [Fact]
    public async Task Kubectl_delete_cascades_in_the_background_in_the_foreground_or_not_at_all()
    {
        const string ns = "cascade-test";
        await Ok("create", "namespace", ns);
        foreach (string name in new[] { "bg", "fg", "keep" })
        {
            await Ok("-n", ns, "create", "deployment", name, "--image=busybox:1.35", "--replicas=2");
            await WaitForCountAsync(ns, "pods", $"app={name}", 2);
        }

        await Ok("-n", ns, "delete", "deployment", "bg");
        await WaitForCountAsync(ns, "replicasets", "app=bg", 0);
        await WaitForCountAsync(ns, "pods", "app=bg", 0);

        // Foreground: kubectl waits for the Deployment, which goes only after its ReplicaSet and pods.
        await Ok("-n", ns, "delete", "deployment", "fg", "--cascade=foreground", "--timeout=60s");
        Assert.Equal(0, await CountAsync(ns, "replicasets", "app=fg"));
        Assert.Equal(0, await CountAsync(ns, "pods", "app=fg"));

        await Ok("-n", ns, "delete", "deployment", "keep", "--cascade=orphan");

        // The marker: the garbage collector has taken the owner reference off the ReplicaSet, so nothing will collect it.
        await Eventually(
            async () => await CountAsync(ns, "deployments", "app=keep") == 0
                && await Ok("-n", ns, "get", "replicasets", "-l", "app=keep", "-o", "jsonpath={.items[0].metadata.ownerReferences}") == "",
            "the ReplicaSet is orphaned",
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, await CountAsync(ns, "replicasets", "app=keep"));
        Assert.Equal(2, await CountAsync(ns, "pods", "app=keep"));
        Assert.Equal("", await Ok("-n", ns, "get", "replicasets", "-l", "app=keep", "-o", "jsonpath={.items[0].metadata.ownerReferences}"));
    }
}
