using k8s.Models;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>Init containers and sidecars.</summary>
internal sealed partial class PodWorker
{
    /// <summary>
    /// Moves the init containers along, in order: a regular one runs to success before the next starts (a failure
    /// restarts it after back-off, or — restartPolicy Never — fails the pod); a sidecar is started and the next one
    /// waits until it counts as started (running, past its startup probe). Once the pod is initialized regular init
    /// containers never run again, and sidecars that exit are restarted. Returns whether the pod is initialized.
    /// </summary>
    /// <param name="pod">The pod.</param>
    /// <param name="sb">Its sandbox.</param>
    /// <param name="initializedBefore">Whether app containers were already made in this sandbox.</param>
    /// <param name="appsDone">Whether the app containers finished for good (sidecars are then left stopped).</param>
    /// <param name="cancellationToken">Cancels the pass.</param>
    private async Task<bool> SyncInitContainersAsync(V1Pod pod, SandboxContext sb, bool initializedBefore, bool appsDone, CancellationToken cancellationToken)
    {
        string policy = pod.Spec.RestartPolicy ?? "Always";
        foreach (V1Container spec in pod.Spec.InitContainers ?? [])
        {
            ContainerView view = View(spec.Name);
            if (PodStatusBuilder.IsSidecar(spec))
            {
                if (appsDone)
                {
                    continue;
                }

                await EnsureRunningAsync(pod, spec, sb, _ => true, cancellationToken).ConfigureAwait(false);
                bool started = view.Current?.State == ContainerState.ContainerRunning && (spec.StartupProbe is null || view.Started);
                if (!started && !initializedBefore)
                {
                    return false;
                }

                continue;
            }

            if (initializedBefore)
            {
                continue;
            }

            ContainerStatus? current = view.Current;
            if (current is { State: ContainerState.ContainerExited, ExitCode: 0 })
            {
                continue;
            }

            if (current is { State: ContainerState.ContainerExited } && policy == "Never")
            {
                // The pod fails (the phase rule sees the failed init container); nothing else starts.
                return false;
            }

            await EnsureRunningAsync(pod, spec, sb, exitCode => exitCode != 0, cancellationToken).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>Stops running sidecars, the last one first (after the app containers have stopped).</summary>
    private async Task StopSidecarsAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        long grace = pod.Spec.TerminationGracePeriodSeconds ?? 30;
        foreach (V1Container spec in (pod.Spec.InitContainers ?? []).Where(PodStatusBuilder.IsSidecar).Reverse())
        {
            if (View(spec.Name).Current is { State: ContainerState.ContainerRunning } running)
            {
                await KillContainerAsync(pod, spec, running.Id, grace, null, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
