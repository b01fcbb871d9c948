using System.Text;
using k8s;
using k8s.Models;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests;

/// <summary>
/// Pods whose quantities once ended the scheduler's loop for good (issue 16: <c>requests.cpu: 1e30</c>): stored as an
/// older server accepted them, written straight to the store, they are read capped, found unschedulable, and every
/// other pod is still scheduled.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PoisonPodTests : SchedulerCluster
{
    [Fact]
    public async Task Pods_with_huge_quantities_do_not_stop_the_scheduler()
    {
        await CreateNodeAsync(Node("n1", cpu: "4"));
        await StoreRawPodAsync("stored-1e30", "1e30");
        await StoreRawPodAsync("stored-1e999999999", "1e999999999");
        await CreatePodAsync(Pod("largest", cpu: "9223372036854775807"));
        await CreatePodAsync(Pod("web", "100m"));
        Assert.Equal("n1", (await WaitBoundAsync("web")).Spec.NodeName);

        foreach (string poison in new[] { "stored-1e30", "stored-1e999999999", "largest" })
        {
            await Eventually(
                async () => (await Client.CoreV1.ReadNamespacedPodAsync(poison, "default")).Status?.Conditions?.Any(c => c is { Type: "PodScheduled", Reason: "Unschedulable" } && c.Message!.Contains("Insufficient cpu", StringComparison.Ordinal)) == true,
                $"{poison} is unschedulable for want of cpu");
        }

        // Still scheduling, and still reading quantities.
        await CreatePodAsync(Pod("later", "1"));
        Assert.Equal("n1", (await WaitBoundAsync("later")).Spec.NodeName);
    }

    /// <summary>A pod written to the store as JSON, bypassing validation, as a server before the quantity limits stored it.</summary>
    private async Task StoreRawPodAsync(string name, string cpu)
    {
        string json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"default\",\"uid\":\"" + Guid.NewGuid()
            + "\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"schedulerName\":\"default-scheduler\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"" + cpu + "\"}}}]}}";
        await Host.Server.Store.CreateAsync($"/registry/pods/default/{name}", Encoding.UTF8.GetBytes(json));
    }
}
