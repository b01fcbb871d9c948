namespace Navarch.Scheduler.Framework;

/// <summary>What a plugin's verdict means to the framework (Kubernetes' framework.Code).</summary>
public enum StatusCode
{
    /// <summary>The pod may go on.</summary>
    Success,

    /// <summary>Something broke; the pod is retried after back-off.</summary>
    Error,

    /// <summary>The pod does not fit here now; preemption might help.</summary>
    Unschedulable,

    /// <summary>The pod does not fit here and preemption cannot change that.</summary>
    UnschedulableAndUnresolvable,

    /// <summary>The plugin has nothing to do for this pod (its later points are skipped).</summary>
    Skip,
}
