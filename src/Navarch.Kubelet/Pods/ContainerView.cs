using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>What the runtime and the worker know of one container of a pod, for its status.</summary>
internal sealed class ContainerView
{
    /// <summary>The newest CRI container of this name, if any.</summary>
    public ContainerStatus? Current { get; set; }

    /// <summary>The one before it (the source of lastState), if any.</summary>
    public ContainerStatus? Previous { get; set; }

    /// <summary>Why the container is waiting when it is not running (ContainerCreating, CrashLoopBackOff, ErrImagePull...).</summary>
    public string? WaitingReason { get; set; }

    /// <summary>A message for the waiting reason.</summary>
    public string? WaitingMessage { get; set; }
}
