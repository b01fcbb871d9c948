namespace Navarch.Kubelet.Probes;

/// <summary>
/// The kubelet's threshold rule: a probe's published result flips only after successThreshold consecutive successes
/// or failureThreshold consecutive failures. Readiness starts as Failure, liveness as Success, startup as Unknown.
/// </summary>
internal sealed class ProbeThreshold(ProbeKind kind, int successThreshold, int failureThreshold)
{
    private ProbeResult _last = ProbeResult.Unknown;
    private int _run;

    /// <summary>The published result.</summary>
    public ProbeResult Result { get; private set; } = Initial(kind);

    public static ProbeResult Initial(ProbeKind kind) => kind switch
    {
        ProbeKind.Readiness => ProbeResult.Failure,
        ProbeKind.Liveness => ProbeResult.Success,
        _ => ProbeResult.Unknown,
    };

    /// <summary>Counts one probe run; returns true when the published result changed.</summary>
    public bool Record(ProbeResult result)
    {
        if (result == _last)
        {
            _run++;
        }
        else
        {
            _last = result;
            _run = 1;
        }

        if ((result == ProbeResult.Failure && _run < failureThreshold) || (result == ProbeResult.Success && _run < successThreshold))
        {
            return false;
        }

        bool changed = Result != result;
        Result = result;
        return changed;
    }

    /// <summary>Starts counting afresh (after a liveness or startup failure put the probe on hold).</summary>
    public void ResetRun() => _run = 0;
}
