using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Ranks one feasible node; <see cref="NormalizeScore"/> then maps all ranks to 0..<see cref="MaxNodeScore"/>.</summary>
internal interface IScorePlugin : IPlugin
{
    const long MaxNodeScore = 100;

    long Score(CycleState state, V1Pod pod, NodeInfo node);

    /// <summary>Rescales the raw scores in place; the default leaves them as they are.</summary>
    void NormalizeScore(CycleState state, V1Pod pod, long[] scores)
    {
    }
}
