namespace Navarch.Kubelet.Probes;

/// <summary>The three container probes.</summary>
internal enum ProbeKind
{
    /// <summary>Restarts the container when it fails.</summary>
    Liveness,

    /// <summary>Says whether the container takes traffic (its <c>ready</c> field, ContainersReady, Ready).</summary>
    Readiness,

    /// <summary>Holds the other two back until it first succeeds (the <c>started</c> field).</summary>
    Startup,
}
