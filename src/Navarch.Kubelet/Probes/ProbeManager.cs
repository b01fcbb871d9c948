using System.Collections.Concurrent;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Probes;

/// <summary>
/// The kubelet's probe manager (prober.Manager): the startup, liveness and readiness workers of every pod on the node,
/// one <see cref="PodProbes"/> per pod. A pod's worker adds its pod, tells the manager after each sync which of its
/// containers run, reads the results (started, ready, failed to live) into the pod's status, and removes the pod when
/// it is done. A changed result wakes that pod's worker, as the kubelet's result managers feed its sync loop; every
/// failed run is an Unhealthy event, and every run is counted in <c>prober_probe_total</c>.
/// </summary>
internal sealed class ProbeManager(Prober prober, EventRecorder events, TimeProvider time, ProberMetrics? metrics = null)
{
    private readonly ConcurrentDictionary<string, PodProbes> _pods = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers a pod: <paramref name="currentPod"/> is the pod its events are about, <paramref name="resultChanged"/>
    /// is called whenever one of its probe results changes.
    /// </summary>
    public void AddPod(string podUid, Func<V1Pod> currentPod, Action resultChanged) =>
        _pods[podUid] = new PodProbes(
            prober,
            time,
            (_, kind, outcome) => events.Event(currentPod(), "Warning", "Unhealthy", $"{kind} probe failed: {outcome.Output}"),
            resultChanged,
            (spec, kind, result) =>
            {
                V1ObjectMeta pod = currentPod().Metadata;
                metrics?.Probed(kind, result, spec.Name, pod.Name, pod.NamespaceProperty, podUid);
            });

    /// <summary>Keeps workers on the pod's running containers that have probes; with no containers every worker stops.</summary>
    public void UpdatePod(string podUid, string? podIp, IEnumerable<(V1Container Spec, ContainerStatus? Status)> containers) =>
        Pod(podUid).Sync(podIp, containers);

    /// <summary>The <c>started</c> field: running and past its startup probe (if any).</summary>
    public bool IsStarted(string podUid, V1Container spec, string containerId) => Pod(podUid).Started(spec, containerId);

    /// <summary>The <c>ready</c> field of a running container: started and past its readiness probe (if any).</summary>
    public bool IsReady(string podUid, V1Container spec, string containerId) => Pod(podUid).Ready(spec, containerId);

    /// <summary>The probe (liveness or startup) whose failure asks for the container to be restarted, if any.</summary>
    public ProbeKind? FailedToLive(string podUid, V1Container spec, string containerId) => Pod(podUid).FailedToLive(spec, containerId);

    /// <summary>Stops the pod's workers, waits for them, and forgets the pod.</summary>
    public async Task RemovePodAsync(string podUid)
    {
        if (_pods.TryRemove(podUid, out PodProbes? probes))
        {
            await probes.StopAllAsync().ConfigureAwait(false);
        }

        metrics?.RemovePod(podUid);
    }

    private PodProbes Pod(string podUid) =>
        _pods.TryGetValue(podUid, out PodProbes? probes) ? probes : throw new InvalidOperationException($"pod {podUid} was not added to the probe manager");
}
