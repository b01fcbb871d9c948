using k8s.Models;

namespace Navarch.Kubelet.Probes;

/// <summary>A probe's timing with the API defaults filled in (period 10 s, timeout 1 s, thresholds 1 and 3).</summary>
internal sealed record ProbeSettings(TimeSpan InitialDelay, TimeSpan Period, TimeSpan Timeout, int SuccessThreshold, int FailureThreshold)
{
    public static ProbeSettings Of(V1Probe probe) => new(
        TimeSpan.FromSeconds(Math.Max(0, probe.InitialDelaySeconds ?? 0)),
        TimeSpan.FromSeconds(probe.PeriodSeconds is > 0 ? probe.PeriodSeconds.Value : 10),
        TimeSpan.FromSeconds(probe.TimeoutSeconds is > 0 ? probe.TimeoutSeconds.Value : 1),
        probe.SuccessThreshold is > 0 ? probe.SuccessThreshold.Value : 1,
        probe.FailureThreshold is > 0 ? probe.FailureThreshold.Value : 3);
}
