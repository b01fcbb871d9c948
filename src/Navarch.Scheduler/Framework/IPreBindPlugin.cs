using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Runs in the binding task before Bind: API work the binding waits for (VolumeBinding's claim updates).</summary>
internal interface IPreBindPlugin : IPlugin
{
    Task<Status> PreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken);
}
