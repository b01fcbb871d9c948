using k8s.Models;

namespace Navarch.Scheduler.Plugins.VolumeBinding;

/// <summary>
/// How a pod's WaitForFirstConsumer claims would be satisfied on one node: some bound to existing volumes
/// (<see cref="StaticBindings"/>), the others provisioned there (<see cref="Provisions"/>).
/// </summary>
internal sealed record PodVolumeDecision(IReadOnlyList<(V1PersistentVolumeClaim Claim, V1PersistentVolume Volume)> StaticBindings, IReadOnlyList<V1PersistentVolumeClaim> Provisions);
