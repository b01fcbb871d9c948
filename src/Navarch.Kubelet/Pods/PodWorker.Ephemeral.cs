using k8s.Models;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// Ephemeral containers (what <c>kubectl debug</c> adds to a running pod): started in the pod's sandbox as soon as
/// they appear in its spec — with its network, IPC and volumes, and, with a targetContainerName, that container's PID
/// namespace (CRI's NamespaceMode TARGET) — and never restarted; no probes, no lifecycle hooks, not part of the pod's
/// phase or readiness. Their status is <c>status.ephemeralContainerStatuses</c>.
/// </summary>
internal sealed partial class PodWorker
{
    /// <summary>The pod's ephemeral containers as the container specs they share their fields with.</summary>
    private static IEnumerable<(V1Container Spec, string? Target)> EphemeralContainers(V1Pod pod) =>
        (pod.Spec.EphemeralContainers ?? []).Select(c => (EphemeralContainerSpec.AsContainer(c), (string?)c.TargetContainerName));

    /// <summary>Starts each ephemeral container that has not run in this sandbox yet; one that exited stays exited.</summary>
    private async Task SyncEphemeralContainersAsync(V1Pod pod, SandboxContext sb, CancellationToken cancellationToken)
    {
        foreach ((V1Container spec, string? target) in EphemeralContainers(pod))
        {
            // The target's PID namespace is that of its running container; until it runs, the debugger waits.
            string? targetId = null;
            if (!string.IsNullOrEmpty(target))
            {
                if (View(target).Current is not { State: ContainerState.ContainerRunning } running)
                {
                    continue;
                }

                targetId = running.Id;
            }

            await EnsureRunningAsync(pod, spec, sb, _ => false, cancellationToken, config => ShareTargetPid(config, targetId)).ConfigureAwait(false);
        }
    }

    /// <summary>The kubelet's rule: a container with its own PID namespace joins the target's instead; a pod-wide or host one stays.</summary>
    private static void ShareTargetPid(ContainerConfig config, string? targetId)
    {
        NamespaceOption? namespaces = config.Linux?.SecurityContext?.NamespaceOptions;
        if (targetId is not null && namespaces is { Pid: NamespaceMode.Container })
        {
            namespaces.Pid = NamespaceMode.Target;
            namespaces.TargetId = targetId;
        }
    }
}
