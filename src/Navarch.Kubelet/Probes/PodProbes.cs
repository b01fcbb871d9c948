using k8s.Models;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Probes;

/// <summary>
/// The probe workers of one pod: one per (container, probe kind) while that container runs, tied to its CRI
/// container ID so a restarted container starts with fresh results. Kept by the <see cref="ProbeManager"/> and used
/// only from that pod's worker, which reads the results for <c>started</c>, <c>ready</c> and restarts;
/// <c>probed</c> is told the result of every run (the prober metrics).
/// </summary>
internal sealed class PodProbes(Prober prober, TimeProvider time, Action<V1Container, ProbeKind, ProbeOutcome> failed, Action changed, Action<V1Container, ProbeKind, ProbeResult> probed)
{
    private readonly Dictionary<(string Container, ProbeKind Kind), Entry> _workers = [];
    private readonly List<Task> _retired = [];

    /// <summary>Starts workers for running containers that have probes and stops those whose container is gone.</summary>
    public void Sync(string? podIp, IEnumerable<(V1Container Spec, ContainerStatus? Status)> containers)
    {
        var live = new HashSet<(string, ProbeKind)>();
        foreach ((V1Container spec, ContainerStatus? status) in containers)
        {
            if (status?.State != ContainerState.ContainerRunning)
            {
                continue;
            }

            foreach ((ProbeKind kind, V1Probe? probe) in new[] { (ProbeKind.Startup, spec.StartupProbe), (ProbeKind.Liveness, spec.LivenessProbe), (ProbeKind.Readiness, spec.ReadinessProbe) })
            {
                if (probe is null)
                {
                    continue;
                }

                var key = (spec.Name, kind);
                live.Add(key);
                if (_workers.TryGetValue(key, out Entry? existing) && existing.ContainerId == status.Id)
                {
                    continue;
                }

                Stop(key);
                var target = new ProbeTarget(status.Id, podIp, spec);

                // Startup comes first in this loop, so its worker for this container exists when the others are made.
                ProbeWorker? startup = kind != ProbeKind.Startup && _workers.TryGetValue((spec.Name, ProbeKind.Startup), out Entry? s) && s.ContainerId == status.Id ? s.Worker : null;
                var worker = new ProbeWorker(
                    kind,
                    ProbeSettings.Of(probe),
                    DateTimeOffset.UnixEpoch.AddTicks(status.StartedAt / 100),
                    async ct =>
                    {
                        ProbeOutcome outcome = await prober.ProbeAsync(probe, target, ct).ConfigureAwait(false);
                        probed(spec, kind, outcome.Result);
                        return outcome;
                    },
                    () => startup is null || startup.Result == ProbeResult.Success,
                    outcome => failed(spec, kind, outcome),
                    changed,
                    time);
                var cts = new CancellationTokenSource();
                _workers[key] = new Entry(status.Id, worker, cts, Task.Run(() => worker.RunAsync(cts.Token), CancellationToken.None));
            }
        }

        foreach (var key in _workers.Keys.Where(k => !live.Contains(k)).ToList())
        {
            Stop(key);
        }

        _retired.RemoveAll(t => t.IsCompleted);
    }

    /// <summary>The result of a container's probe, or null when it has no such probe or no worker yet.</summary>
    public ProbeResult? Result(string container, string containerId, ProbeKind kind) =>
        _workers.TryGetValue((container, kind), out Entry? e) && e.ContainerId == containerId ? e.Worker.Result : null;

    /// <summary>The <c>started</c> field: running and past its startup probe (if any).</summary>
    public bool Started(V1Container spec, string containerId) =>
        spec.StartupProbe is null || Result(spec.Name, containerId, ProbeKind.Startup) == ProbeResult.Success;

    /// <summary>The <c>ready</c> field of a running container: started and past its readiness probe (if any).</summary>
    public bool Ready(V1Container spec, string containerId) =>
        Started(spec, containerId) && (spec.ReadinessProbe is null || Result(spec.Name, containerId, ProbeKind.Readiness) == ProbeResult.Success);

    /// <summary>The probe (liveness or startup) whose failure asks for the container to be restarted, if any.</summary>
    public ProbeKind? FailedToLive(V1Container spec, string containerId) =>
        Result(spec.Name, containerId, ProbeKind.Startup) == ProbeResult.Failure ? ProbeKind.Startup
        : Result(spec.Name, containerId, ProbeKind.Liveness) == ProbeResult.Failure ? ProbeKind.Liveness
        : null;

    private void Stop((string, ProbeKind) key)
    {
        if (_workers.Remove(key, out Entry? e))
        {
            e.Cancellation.Cancel();
            _retired.Add(e.Task.ContinueWith(_ => e.Cancellation.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
        }
    }

    /// <summary>Stops every worker and waits for them.</summary>
    public async Task StopAllAsync()
    {
        foreach (var key in _workers.Keys.ToList())
        {
            Stop(key);
        }

        await Task.WhenAll(_retired).ConfigureAwait(false);
        _retired.Clear();
    }

    private sealed record Entry(string ContainerId, ProbeWorker Worker, CancellationTokenSource Cancellation, Task Task);
}
