using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Binds the pod to the chosen node; Skip lets the next bind plugin do it.</summary>
internal interface IBindPlugin : IPlugin
{
    Task<Status> BindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken);
}
