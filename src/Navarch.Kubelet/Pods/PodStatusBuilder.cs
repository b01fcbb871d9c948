using k8s.Models;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>Computes a Pod's status from the runtime's view of its sandbox and containers, as the kubelet does.</summary>
internal static class PodStatusBuilder
{
    public static V1PodStatus Build(V1Pod pod, bool sandboxReady, string? podIp, string hostIp, IReadOnlyDictionary<string, ContainerView> views, DateTime startTime, DateTime now)
    {
        var statuses = pod.Spec.Containers.Select(c => ContainerStatusOf(c, views.GetValueOrDefault(c.Name) ?? new ContainerView())).ToList();
        string phase = Phase(pod, statuses);
        bool allReady = statuses.All(s => s.Ready);
        V1PodStatus? old = pod.Status;
        var status = new V1PodStatus
        {
            Phase = phase,
            HostIP = hostIp,
            HostIPs = [new V1HostIP { Ip = hostIp }],
            StartTime = old?.StartTime ?? startTime,
            QosClass = QosClass(pod),
            ContainerStatuses = statuses,
            Conditions =
            [
                Condition(old, "PodReadyToStartContainers", sandboxReady, now),
                Condition(old, "Initialized", true, now),
                Condition(old, "Ready", allReady && phase == "Running", now, allReady ? null : "ContainersNotReady"),
                Condition(old, "ContainersReady", allReady, now, allReady ? null : "ContainersNotReady"),
                Condition(old, "PodScheduled", true, now),
            ],
        };
        if (!string.IsNullOrEmpty(podIp))
        {
            status.PodIP = podIp;
            status.PodIPs = [new V1PodIP { Ip = podIp }];
        }

        return status;
    }

    /// <summary>The phase by the kubelet's rule (getPhase) for a pod without init containers.</summary>
    internal static string Phase(V1Pod pod, IReadOnlyList<V1ContainerStatus> statuses)
    {
        int waiting = 0, running = 0, stopped = 0, succeeded = 0, failed = 0;
        foreach (V1ContainerStatus s in statuses)
        {
            if (s.State?.Running is not null)
            {
                running++;
            }
            else if (s.State?.Terminated is { } t)
            {
                stopped++;
                if (t.ExitCode == 0)
                {
                    succeeded++;
                }
                else
                {
                    failed++;
                }
            }
            else if (s.LastState?.Terminated is not null)
            {
                stopped++;
            }
            else
            {
                waiting++;
            }
        }

        string policy = pod.Spec.RestartPolicy ?? "Always";
        if (waiting > 0)
        {
            return "Pending";
        }

        if (running > 0)
        {
            return "Running";
        }

        if (stopped == statuses.Count && stopped > 0)
        {
            return policy switch
            {
                "Always" => "Running",
                "OnFailure" when failed > 0 => "Running",
                "Never" when failed > 0 => "Failed",
                _ when succeeded + failed == stopped => "Succeeded",
                _ => "Running",
            };
        }

        return "Pending";
    }

    private static V1ContainerStatus ContainerStatusOf(V1Container spec, ContainerView view)
    {
        ContainerStatus? c = view.Current;
        var status = new V1ContainerStatus
        {
            Name = spec.Name,
            Image = spec.Image,
            ImageID = c?.ImageRef ?? "",
            ContainerID = c is null ? null : "containerd://" + c.Id,
            RestartCount = c is null ? 0 : (int)c.Metadata.Attempt,
            Ready = false,
            Started = false,
            State = new V1ContainerState(),
        };
        if (view.WaitingReason is { } reason)
        {
            status.State.Waiting = new V1ContainerStateWaiting { Reason = reason, Message = view.WaitingMessage };
            if (c?.State == ContainerState.ContainerExited)
            {
                status.LastState = new V1ContainerState { Terminated = Terminated(c) };
            }
        }
        else if (c is null || c.State == ContainerState.ContainerCreated)
        {
            status.State.Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" };
        }
        else if (c.State == ContainerState.ContainerRunning)
        {
            status.State.Running = new V1ContainerStateRunning { StartedAt = FromNanos(c.StartedAt) };
            status.Ready = true;
            status.Started = true;
        }
        else
        {
            status.State.Terminated = Terminated(c);
        }

        if (status.LastState is null && view.Previous is { State: ContainerState.ContainerExited } previous)
        {
            status.LastState = new V1ContainerState { Terminated = Terminated(previous) };
        }

        return status;
    }

    private static V1ContainerStateTerminated Terminated(ContainerStatus c) => new()
    {
        ExitCode = c.ExitCode,
        Reason = string.IsNullOrEmpty(c.Reason) ? (c.ExitCode == 0 ? "Completed" : "Error") : c.Reason,
        Message = string.IsNullOrEmpty(c.Message) ? null : c.Message,
        StartedAt = c.StartedAt > 0 ? FromNanos(c.StartedAt) : null,
        FinishedAt = c.FinishedAt > 0 ? FromNanos(c.FinishedAt) : null,
        ContainerID = "containerd://" + c.Id,
    };

    private static DateTime FromNanos(long nanos) => DateTime.UnixEpoch.AddTicks(nanos / 100);

    private static V1PodCondition Condition(V1PodStatus? old, string type, bool value, DateTime now, string? reason = null)
    {
        string status = value ? "True" : "False";
        V1PodCondition? previous = old?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1PodCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            LastTransitionTime = previous is not null && previous.Status == status ? previous.LastTransitionTime : now,
        };
    }

    /// <summary>Guaranteed when every container has equal cpu and memory requests and limits; BestEffort when none has any.</summary>
    internal static string QosClass(V1Pod pod)
    {
        bool any = false, guaranteed = true;
        foreach (V1Container c in pod.Spec.Containers)
        {
            IDictionary<string, ResourceQuantity> requests = c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
            IDictionary<string, ResourceQuantity> limits = c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
            any |= requests.Count > 0 || limits.Count > 0;
            foreach (string resource in new[] { "cpu", "memory" })
            {
                if (!limits.TryGetValue(resource, out ResourceQuantity? limit)
                    || (requests.TryGetValue(resource, out ResourceQuantity? request) && request.ToDecimal() != limit.ToDecimal()))
                {
                    guaranteed = false;
                }
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
