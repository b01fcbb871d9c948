namespace Navarch.Kubelet.Probes;

/// <summary>A probe's result, as the kubelet's prober results cache holds it.</summary>
internal enum ProbeResult
{
    /// <summary>Not probed yet (the startup probe's initial value).</summary>
    Unknown,

    /// <summary>The probe passed (or warned).</summary>
    Success,

    /// <summary>The probe failed.</summary>
    Failure,
}
