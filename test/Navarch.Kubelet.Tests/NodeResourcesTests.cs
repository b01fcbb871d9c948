using k8s;
using k8s.Models;
using Navarch.Kubelet.Node;

namespace Navarch.Kubelet.Tests;

/// <summary>Allocatable, the eviction thresholds and the pressure conditions, computed as the kubelet does.</summary>
public sealed class NodeResourcesTests(ITestOutputHelper output)
{
    private const long Gi = 1L << 30;
    private const long Mi = 1L << 20;

    private static readonly Dictionary<string, ResourceQuantity> Capacity = new()
    {
        ["cpu"] = new("2"),
        ["memory"] = new($"{8 * Gi / 1024}Ki"),
        ["ephemeral-storage"] = new($"{100 * Gi / 1024}Ki"),
        ["pods"] = new("110"),
    };

    [Trait("Category", "Unit")]
    [Fact]
    public void Allocatable_is_capacity_less_both_reservations_and_the_hard_eviction_threshold()
    {
        Dictionary<string, ResourceQuantity> allocatable = NodeAllocatable.Compute(
            Capacity,
            ReservedResources.Parse("cpu=100m,memory=256Mi,ephemeral-storage=1Gi"),
            ReservedResources.Parse("cpu=150m,memory=512Mi,pid=1000"),
            EvictionThreshold.ParseList(EvictionThreshold.Defaults));
        Assert.Equal(1.75m, allocatable["cpu"].ToDecimal());
        Assert.Equal(8 * Gi - 256 * Mi - 512 * Mi - 100 * Mi, (long)allocatable["memory"].ToDecimal());
        Assert.Equal(100 * Gi - Gi - 10 * Gi, (long)allocatable["ephemeral-storage"].ToDecimal());
        Assert.Equal(110m, allocatable["pods"].ToDecimal());
    }

    [Trait("Category", "Unit")]
    [Fact]
    public void Allocatable_never_goes_below_zero()
    {
        Dictionary<string, ResourceQuantity> allocatable = NodeAllocatable.Compute(Capacity, ReservedResources.Parse("cpu=3,memory=16Gi"), new Dictionary<string, ResourceQuantity>(), []);
        Assert.Equal(0m, allocatable["cpu"].ToDecimal());
        Assert.Equal(0m, allocatable["memory"].ToDecimal());
    }

    [Trait("Category", "Unit")]
    [Theory]
    [InlineData("memory=1Gi,cpu", "is not <resource>=<quantity>")]
    [InlineData("gpu=1", "is not <resource>=<quantity>")]
    [InlineData("memory=lots", "is not a quantity")]
    [InlineData("memory=-1Gi", "must not be negative")]
    public void Bad_reservations_are_refused_with_the_part_at_fault(string text, string message)
    {
        FormatException e = Assert.Throws<FormatException>(() => ReservedResources.Parse(text));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Trait("Category", "Unit")]
    [Theory]
    [InlineData("memory.available>1Gi")]
    [InlineData("cpu.available<1")]
    [InlineData("nodefs.available<120%")]
    [InlineData("memory.available<much")]
    public void Bad_thresholds_are_refused(string text) => Assert.Throws<FormatException>(() => EvictionThreshold.ParseList(text));

    [Trait("Category", "Unit")]
    [Fact]
    public void Pressure_follows_the_readings_against_the_thresholds()
    {
        IReadOnlyList<EvictionThreshold> thresholds = EvictionThreshold.ParseList("memory.available<500Mi,nodefs.available<10%,pid.available<1000");
        var plenty = new NodeReadings(4 * Gi, 8 * Gi, 50 * Gi, 100 * Gi, 30000, 32768);
        Assert.All(NodeAllocatable.Pressure(plenty, thresholds), c => Assert.False(c.Pressure, c.Type));

        var scarce = new NodeReadings(100 * Mi, 8 * Gi, 5 * Gi, 100 * Gi, 500, 32768);
        var conditions = NodeAllocatable.Pressure(scarce, thresholds).ToDictionary(c => c.Type);
        Assert.Equal((true, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"), (conditions["MemoryPressure"].Pressure, conditions["MemoryPressure"].Reason, conditions["MemoryPressure"].Message));
        Assert.Equal((true, "KubeletHasDiskPressure"), (conditions["DiskPressure"].Pressure, conditions["DiskPressure"].Reason));
        Assert.Equal((true, "KubeletHasInsufficientPID"), (conditions["PIDPressure"].Pressure, conditions["PIDPressure"].Reason));

        // Without a pid.available threshold (the kubelet's default), PIDs never make pressure.
        Assert.DoesNotContain(NodeAllocatable.Pressure(scarce, EvictionThreshold.ParseList(EvictionThreshold.Defaults)), c => c.Type == "PIDPressure" && c.Pressure);
    }

    [Trait("Category", "Node")]
    [Fact]
    public void This_machine_reads_sensibly()
    {
        NodeReadings readings = NodeReadings.Read(Path.GetTempPath());
        Assert.InRange(readings.MemoryAvailable, 1, readings.MemoryCapacity);
        Assert.InRange(readings.NodeFsAvailable, 1, readings.NodeFsCapacity);
        Assert.InRange(readings.PidAvailable, 1, readings.PidCapacity - 1);
    }

    [Trait("Category", "Node")]
    [Fact]
    public async Task A_kubelet_reports_reserved_allocatable_and_pressure_from_its_readings_and_recovers()
    {
        long memory = 8 * Gi;
        long available = 50 * Mi;
        await using KubeletNode node = await KubeletNode.StartAsync(
            output,
            readings: _ => new NodeReadings(Interlocked.Read(ref available), memory, 50 * Gi, 100 * Gi, 30000, 32768),
            kubeReserved: "cpu=100m,memory=1Gi",
            systemReserved: "memory=512Mi");
        Kubernetes client = node.Client;

        V1Node reported = await KubeletNode.WaitAsync(async () =>
        {
            V1Node n = await client.CoreV1.ReadNodeAsync(node.Options.NodeName);
            return n.Status?.Conditions is { } all && all.Any(c => c.Type == "MemoryPressure" && c.Status == "True") && all.Any(c => c.Type == "Ready" && c.Status == "True") ? n : null;
        }, "Ready with MemoryPressure True");
        V1NodeCondition pressure = reported.Status.Conditions.Single(c => c.Type == "MemoryPressure");
        Assert.Equal(("KubeletHasInsufficientMemory", "kubelet has insufficient memory available"), (pressure.Reason, pressure.Message));
        Assert.Equal(memory - Gi - 512 * Mi - 100 * Mi, (long)reported.Status.Allocatable["memory"].ToDecimal());
        Assert.Equal(Environment.ProcessorCount - 0.1m, reported.Status.Allocatable["cpu"].ToDecimal());
        Assert.Equal(memory, (long)reported.Status.Capacity["memory"].ToDecimal());

        // Memory freed: the condition goes back to False at the next status update.
        Interlocked.Exchange(ref available, 4 * Gi);
        await KubeletNode.WaitAsync(async () =>
        {
            V1Node n = await client.CoreV1.ReadNodeAsync(node.Options.NodeName);
            return n.Status.Conditions.Single(c => c.Type == "MemoryPressure") is { Status: "False", Reason: "KubeletHasSufficientMemory" } ? n : null;
        }, "MemoryPressure False again");
    }
}
