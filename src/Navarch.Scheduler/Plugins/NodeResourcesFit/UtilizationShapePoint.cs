namespace Navarch.Scheduler.Plugins.NodeResourcesFit;

/// <summary>One point of the RequestedToCapacityRatio curve.</summary>
internal sealed class UtilizationShapePoint
{
    public int Utilization { get; set; }

    public int Score { get; set; }
}
