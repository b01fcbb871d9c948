namespace Navarch.Scheduler.Plugins.NodeResourcesFit;

/// <summary>How NodeResourcesFit scores: LeastAllocated (spread), MostAllocated (bin packing) or RequestedToCapacityRatio.</summary>
internal sealed class ScoringStrategy
{
    public string Type { get; set; } = "LeastAllocated";

    public List<ResourceWeight> Resources { get; set; } = [new() { Name = "cpu", Weight = 1 }, new() { Name = "memory", Weight = 1 }];

    public RequestedToCapacityRatioParam RequestedToCapacityRatio { get; set; } = new();
}
