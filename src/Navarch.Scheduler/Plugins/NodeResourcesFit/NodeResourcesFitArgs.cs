namespace Navarch.Scheduler.Plugins.NodeResourcesFit;

/// <summary>NodeResourcesFitArgs: the scoring strategy and resources to ignore.</summary>
internal sealed class NodeResourcesFitArgs
{
    public ScoringStrategy ScoringStrategy { get; set; } = new();

    public List<string> IgnoredResources { get; set; } = [];
}
