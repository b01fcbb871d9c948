using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Pods;

/// <summary>Computes a Pod's status from the runtime's view of its sandbox and containers, as the kubelet does.</summary>
internal static class PodStatusBuilder
{
    /// <summary>The condition types the kubelet owns; any other condition (readiness gates, DisruptionTarget) is kept as it is.</summary>
    private static readonly string[] Owned = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];

    /// <summary>Builds the status.</summary>
    /// <param name="pod">The pod as last read.</param>
    /// <param name="sandboxReady">Whether its sandbox runs with its network set up.</param>
    /// <param name="podIp">The sandbox's IP.</param>
    /// <param name="hostIp">The node's IP.</param>
    /// <param name="views">What is known of each (init, app and ephemeral) container, by name.</param>
    /// <param name="startTime">When the kubelet first saw the pod.</param>
    /// <param name="now">The time now (for condition transitions).</param>
    /// <param name="initialized">Whether the init containers completed in this sandbox at some point (app containers were made).</param>
    /// <param name="failure">A reason and message when the kubelet failed the pod itself (DeadlineExceeded).</param>
    public static V1PodStatus Build(V1Pod pod, bool sandboxReady, string? podIp, string hostIp, IReadOnlyDictionary<string, ContainerView> views, DateTime startTime, DateTime now, bool initialized = false, (string Reason, string Message)? failure = null)
    {
        IList<V1Container> initSpecs = pod.Spec.InitContainers ?? [];
        string defaultWaiting = initSpecs.Count > 0 ? "PodInitializing" : "ContainerCreating";
        var initStatuses = initSpecs.Select(c => ContainerStatusOf(c, views.GetValueOrDefault(c.Name) ?? new ContainerView(), defaultWaiting, regularInit: !IsSidecar(c))).ToList();
        var statuses = pod.Spec.Containers.Select(c => ContainerStatusOf(c, views.GetValueOrDefault(c.Name) ?? new ContainerView(), defaultWaiting, regularInit: false)).ToList();
        var ephemeralStatuses = (pod.Spec.EphemeralContainers ?? []).Select(c => ContainerStatusOf(EphemeralContainerSpec.AsContainer(c), views.GetValueOrDefault(c.Name) ?? new ContainerView(), defaultWaiting, regularInit: false)).ToList();
        string phase = failure is null ? Phase(pod, initStatuses, statuses) : "Failed";
        V1PodStatus? old = pod.Status;

        var incomplete = initSpecs.Zip(initStatuses).Where(p => IsSidecar(p.First) ? p.Second.Started != true : !p.Second.Ready).Select(p => p.First.Name).ToList();
        bool isInitialized = initialized || incomplete.Count == 0 || phase == "Succeeded";
        var unready = initSpecs.Zip(initStatuses).Where(p => IsSidecar(p.First) && !p.Second.Ready).Select(p => p.First.Name)
            .Concat(statuses.Where(s => !s.Ready).Select(s => s.Name)).ToList();
        string? notReadyReason = phase == "Succeeded" ? "PodCompleted" : unready.Count > 0 ? "ContainersNotReady" : null;
        string? notReadyMessage = unready.Count > 0 && phase != "Succeeded" ? $"containers with unready status: [{string.Join(' ', unready)}]" : null;
        bool containersReady = unready.Count == 0 && phase != "Succeeded";
        (bool gatesReady, string? gateMessage) = ReadinessGates(pod);

        var conditions = new List<V1PodCondition>
        {
            Condition(old, "PodReadyToStartContainers", sandboxReady, now),
            isInitialized
                ? Condition(old, "Initialized", true, now, phase == "Succeeded" && initSpecs.Count > 0 ? "PodCompleted" : null)
                : Condition(old, "Initialized", false, now, "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(' ', incomplete)}]"),
            !containersReady ? Condition(old, "Ready", false, now, notReadyReason, notReadyMessage)
                : !gatesReady ? Condition(old, "Ready", false, now, "ReadinessGatesNotReady", gateMessage)
                : Condition(old, "Ready", true, now),
            Condition(old, "ContainersReady", containersReady, now, containersReady ? null : notReadyReason, containersReady ? null : notReadyMessage),
            old?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled") ?? Condition(old, "PodScheduled", true, now),
        };
        conditions.AddRange(old?.Conditions?.Where(c => !Owned.Contains(c.Type)) ?? []);

        var status = new V1PodStatus
        {
            Phase = phase,
            HostIP = hostIp,
            HostIPs = [new V1HostIP { Ip = hostIp }],
            StartTime = old?.StartTime ?? startTime,
            QosClass = QosClass(pod),
            InitContainerStatuses = initSpecs.Count > 0 ? initStatuses : null,
            ContainerStatuses = statuses,
            EphemeralContainerStatuses = ephemeralStatuses.Count > 0 ? ephemeralStatuses : null,
            Conditions = conditions,
            Reason = failure?.Reason,
            Message = failure?.Message,
        };
        if (!string.IsNullOrEmpty(podIp))
        {
            status.PodIP = podIp;
            status.PodIPs = [new V1PodIP { Ip = podIp }];
        }

        return status;
    }

    /// <summary>A sidecar: an init container with restartPolicy Always.</summary>
    public static bool IsSidecar(V1Container c) => c.RestartPolicy == "Always";

    private static (bool Ready, string? Message) ReadinessGates(V1Pod pod)
    {
        foreach (V1PodReadinessGate gate in pod.Spec.ReadinessGates ?? [])
        {
            V1PodCondition? c = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == gate.ConditionType);
            if (c is null)
            {
                return (false, $"corresponding condition of pod readiness gate \"{gate.ConditionType}\" does not exist.");
            }

            if (c.Status != "True")
            {
                return (false, $"the status of pod readiness gate \"{gate.ConditionType}\" is not \"True\", but {c.Status}");
            }
        }

        return (true, null);
    }

    /// <summary>The phase by the kubelet's rule (getPhase) for a pod without init containers.</summary>
    internal static string Phase(V1Pod pod, IReadOnlyList<V1ContainerStatus> statuses) => Phase(pod, [], statuses);

    /// <summary>The phase by the kubelet's rule (getPhase): init containers (sidecars apart) first, then the app containers.</summary>
    internal static string Phase(V1Pod pod, IReadOnlyList<V1ContainerStatus> initStatuses, IReadOnlyList<V1ContainerStatus> statuses)
    {
        int pendingSidecars = 0, pendingInit = 0, failedInit = 0;
        foreach (V1Container c in pod.Spec.InitContainers ?? [])
        {
            V1ContainerStatus? s = initStatuses.FirstOrDefault(x => x.Name == c.Name);
            if (IsSidecar(c))
            {
                if (s is null || (s.State?.Running is not null && s.Started != true) || (s.State?.Waiting is not null && s.LastState?.Terminated is null)
                    || (s.State?.Running is null && s.State?.Terminated is null && s.State?.Waiting is null))
                {
                    pendingSidecars++;
                }

                continue;
            }

            if (s?.State?.Terminated is { } t)
            {
                failedInit += t.ExitCode != 0 ? 1 : 0;
            }
            else if (s?.State?.Waiting is not null && s.LastState?.Terminated is { } last)
            {
                failedInit += last.ExitCode != 0 ? 1 : 0;
            }
            else
            {
                pendingInit++;
            }
        }

        int unknown = 0, waiting = 0, running = 0, stopped = 0, succeeded = 0;
        foreach (V1Container c in pod.Spec.Containers)
        {
            V1ContainerStatus? s = statuses.FirstOrDefault(x => x.Name == c.Name);
            if (s?.State?.Running is not null)
            {
                running++;
            }
            else if (s?.State?.Terminated is { } t)
            {
                stopped++;
                succeeded += t.ExitCode == 0 ? 1 : 0;
            }
            else if (s?.State?.Waiting is not null)
            {
                if (s.LastState?.Terminated is not null)
                {
                    stopped++;
                }
                else
                {
                    waiting++;
                }
            }
            else
            {
                unknown++;
            }
        }

        string policy = pod.Spec.RestartPolicy ?? "Always";
        if (failedInit > 0 && policy == "Never")
        {
            return "Failed";
        }

        if (pendingInit > 0 || (pendingSidecars > 0 && running + stopped == 0) || waiting > 0)
        {
            return "Pending";
        }

        if (running > 0 && unknown == 0)
        {
            return "Running";
        }

        if (running == 0 && stopped > 0 && unknown == 0)
        {
            return policy == "Always" ? "Running"
                : stopped == succeeded ? "Succeeded"
                : policy == "Never" ? "Failed"
                : "Running";
        }

        return "Pending";
    }

    private static V1ContainerStatus ContainerStatusOf(V1Container spec, ContainerView view, string defaultWaiting, bool regularInit)
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
            status.State.Waiting = new V1ContainerStateWaiting { Reason = defaultWaiting };
        }
        else if (c.State == ContainerState.ContainerRunning)
        {
            status.State.Running = new V1ContainerStateRunning { StartedAt = FromNanos(c.StartedAt) };
            status.Started = view.Started;
            status.Ready = view.Started && view.Ready;
        }
        else
        {
            status.State.Terminated = Terminated(c);

            // A regular init container that completed counts as ready (kubectl's READY column and the Initialized condition).
            status.Ready = regularInit && c.ExitCode == 0;
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

    /// <summary>A condition whose lastTransitionTime moves only when its status changes.</summary>
    internal static V1PodCondition Condition(V1PodStatus? old, string type, bool value, DateTime now, string? reason = null, string? message = null)
    {
        string status = value ? "True" : "False";
        V1PodCondition? previous = old?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1PodCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
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
                    || (requests.TryGetValue(resource, out ResourceQuantity? request) && request.ToQuantity() != limit.ToQuantity()))
                {
                    guaranteed = false;
                }
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
