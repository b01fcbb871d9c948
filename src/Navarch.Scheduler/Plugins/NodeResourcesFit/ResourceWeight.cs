namespace Navarch.Scheduler.Plugins.NodeResourcesFit;

/// <summary>A resource scored and its weight.</summary>
internal sealed class ResourceWeight
{
    public string Name { get; set; } = "";

    public long Weight { get; set; } = 1;
}
