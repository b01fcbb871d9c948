using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 Pod: Kubernetes' defaults and validation, its selectable fields and the columns of <c>kubectl get pods</c>.</summary>
internal static class PodStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Pod> Create() => new()
    {
        HasStatus = true,
        // As the pod strategy's PrepareForCreate: a new pod is Pending until a kubelet reports on it, so an unschedulable
        // one reads Pending (kubectl's STATUS, the status.phase field selector), not an empty phase.
        OnCreate = p => p.Status = new V1PodStatus { Phase = "Pending" },
        Defaults = p => PodSpecDefaults.Apply(p.Spec),
        Validation = p => PodValidation.ValidateSpec(p.Spec, "spec").Concat(PodValidation.ValidateCreate(p.Spec)),
        UpdateValidation = PodValidation.ValidateUpdate,
        Fields = p =>
        [
            new("spec.nodeName", p.Spec?.NodeName ?? ""),
            new("spec.restartPolicy", p.Spec?.RestartPolicy ?? ""),
            new("spec.schedulerName", p.Spec?.SchedulerName ?? ""),
            new("spec.serviceAccountName", p.Spec?.ServiceAccountName ?? ""),
            new("spec.hostNetwork", (p.Spec?.HostNetwork ?? false) ? "true" : "false"),
            new("status.phase", p.Status?.Phase ?? ""),
            new("status.podIP", p.Status?.PodIP ?? ""),
            new("status.nominatedNodeName", p.Status?.NominatedNodeName ?? ""),
        ],
        Columns =
        [
            new("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic."),
            new("Status", "string", "", "The aggregate status of the containers in this pod."),
            new("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            TableColumn.AgeColumn,
            new("IP", "string", "", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
            new("Node", "string", "", "NodeName is a request to schedule this pod onto a specific node.", 1),
            new("Nominated Node", "string", "", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
            new("Readiness Gates", "string", "", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
        ],
        Cells = (p, now) =>
        [
            ReadyColumn(p),
            PodPhaseReason(p),
            (p.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Age.Of(p.Metadata.CreationTimestamp, now),
            p.Status?.PodIP ?? "<none>",
            string.IsNullOrEmpty(p.Spec?.NodeName) ? "<none>" : p.Spec.NodeName,
            string.IsNullOrEmpty(p.Status?.NominatedNodeName) ? "<none>" : p.Status.NominatedNodeName,
            p.Spec?.ReadinessGates is { Count: > 0 } gates ? $"0/{gates.Count}" : "<none>",
        ],
    };

    /// <summary>The READY column as kubectl prints it: ready app containers and sidecars (init containers with restartPolicy Always) of both.</summary>
    public static string ReadyColumn(V1Pod pod)
    {
        var sidecars = (pod.Spec?.InitContainers ?? []).Where(c => c.RestartPolicy == "Always").Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        int ready = (pod.Status?.ContainerStatuses?.Count(c => c.Ready) ?? 0)
            + (pod.Status?.InitContainerStatuses?.Count(c => sidecars.Contains(c.Name) && c.Started == true && c.Ready) ?? 0);
        return $"{ready}/{(pod.Spec?.Containers?.Count ?? 0) + sidecars.Count}";
    }

    /// <summary>The STATUS column as kubectl prints it.</summary>
    public static string PodPhaseReason(V1Pod pod)
    {
        string reason = pod.Status?.Reason ?? pod.Status?.Phase ?? "Pending";
        int initCount = pod.Spec?.InitContainers?.Count ?? 0;
        var initStatuses = pod.Status?.InitContainerStatuses ?? [];
        for (int i = 0; i < initStatuses.Count; i++)
        {
            V1ContainerState? s = initStatuses[i].State;
            if (s?.Terminated is { ExitCode: 0 })
            {
                continue;
            }

            // A sidecar that has started no longer holds initialization up.
            if (initStatuses[i].Started == true && pod.Spec?.InitContainers?.FirstOrDefault(c => c.Name == initStatuses[i].Name)?.RestartPolicy == "Always")
            {
                continue;
            }

            reason = s?.Terminated is { } t ? (string.IsNullOrEmpty(t.Reason) ? $"Init:ExitCode:{t.ExitCode}" : "Init:" + t.Reason)
                : s?.Waiting is { Reason: { Length: > 0 } w } && w != "PodInitializing" ? "Init:" + w
                : $"Init:{i}/{initCount}";
            return pod.Metadata.DeletionTimestamp is null ? reason : "Terminating";
        }

        bool running = false;
        foreach (V1ContainerStatus c in (pod.Status?.ContainerStatuses ?? []).Reverse())
        {
            if (c.State?.Waiting is { Reason: { Length: > 0 } waiting })
            {
                reason = waiting;
            }
            else if (c.State?.Terminated is { } t)
            {
                reason = !string.IsNullOrEmpty(t.Reason) ? t.Reason : t.Signal is { } sig and not 0 ? $"Signal:{sig}" : $"ExitCode:{t.ExitCode}";
            }
            else if (c.Ready && c.State?.Running is not null)
            {
                running = true;
            }
        }

        if (reason == "Completed" && running)
        {
            reason = "Running";
        }

        return pod.Metadata.DeletionTimestamp is not null ? "Terminating" : reason;
    }
}
