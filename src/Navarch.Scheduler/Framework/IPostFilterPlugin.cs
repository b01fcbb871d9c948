using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Runs when no node passed Filter (preemption); may nominate a node for a later attempt.</summary>
internal interface IPostFilterPlugin : IPlugin
{
    Task<PostFilterResult> PostFilterAsync(CycleState state, V1Pod pod, IReadOnlyDictionary<string, Status> filterFailures, CancellationToken cancellationToken);
}
