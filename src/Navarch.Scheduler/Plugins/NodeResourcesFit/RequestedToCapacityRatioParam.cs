namespace Navarch.Scheduler.Plugins.NodeResourcesFit;

/// <summary>The utilisation → score curve (utilisation 0..100, score 0..10), linear between points.</summary>
internal sealed class RequestedToCapacityRatioParam
{
    public List<UtilizationShapePoint> Shape { get; set; } = [new() { Utilization = 0, Score = 10 }, new() { Utilization = 100, Score = 0 }];
}
