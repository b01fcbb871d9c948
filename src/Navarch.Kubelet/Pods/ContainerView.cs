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

    /// <summary>Whether the "already present" Pulled event was recorded for this container.</summary>
    public bool ImageReported { get; set; }

    /// <summary>The <c>started</c> field: the current container runs and has passed its startup probe, if any.</summary>
    public bool Started { get; set; }

    /// <summary>The <c>ready</c> field of a running container: started and passing its readiness probe, if any.</summary>
    public bool Ready { get; set; }
}
