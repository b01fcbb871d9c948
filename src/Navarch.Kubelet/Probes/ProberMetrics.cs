using Prometheus;

namespace Navarch.Kubelet.Probes;

/// <summary>
/// The kubelet's probe metrics (pkg/kubelet/prober): <c>prober_probe_total{probe_type,result,container,pod,namespace,pod_uid}</c>,
/// counted for every probe that ran (one that errored is not counted, as the kubelet's worker skips it), in a registry
/// of its own served at <c>/metrics/probes</c>.
/// </summary>
internal sealed class ProberMetrics
{
    private readonly Counter _results;

    public ProberMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _results = Prometheus.Metrics.WithCustomRegistry(Registry).CreateCounter(
            "prober_probe_total",
            "Cumulative number of a liveness, readiness or startup probe for a container by result.",
            ["probe_type", "result", "container", "pod", "namespace", "pod_uid"]);
    }

    /// <summary>This kubelet's <c>/metrics/probes</c> registry.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Counts one run of <paramref name="kind"/> on <paramref name="container"/> of the pod.</summary>
    public void Probed(ProbeKind kind, ProbeResult result, string container, string pod, string ns, string podUid)
    {
        string label = result switch
        {
            ProbeResult.Success => "successful",
            ProbeResult.Failure => "failed",
            _ => "unknown",
        };
        _results.WithLabels(kind.ToString(), label, container, pod, ns, podUid).Inc();
    }

    /// <summary>Drops the series of a pod that left the node, as the kubelet's worker deletes its label sets when it stops.</summary>
    public void RemovePod(string podUid)
    {
        foreach (string[] labels in _results.GetAllLabelValues().Where(l => l[5] == podUid).ToList())
        {
            _results.RemoveLabelled(labels);
        }
    }
}
