using k8s.Models;

namespace Navarch.Api.Strategies;

/// <summary>Pods: Kubernetes' defaults, the required container fields, and the columns of <c>kubectl get pods</c>.</summary>
public static class PodStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Pod> Create() => new()
    {
        HasStatus = true,
        Defaults = p => DefaultSpec(p.Spec),
        Validation = p => ValidateSpec(p.Spec, "spec"),
        UpdateValidation = ValidateSpecUpdate,
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

    /// <summary>The message of Kubernetes' ValidatePodUpdate for a spec change outside what may change.</summary>
    public const string ImmutableSpecMessage = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    /// <summary>
    /// ValidatePodUpdate: a pod's spec is fixed once created, except container and init container images,
    /// activeDeadlineSeconds (set, or lowered), tolerations (only added), scheduling gates (only removed), and
    /// terminationGracePeriodSeconds from a negative value to 1. spec.nodeName is set through pods/binding only.
    /// </summary>
    private static IEnumerable<FieldError> ValidateSpecUpdate(V1Pod pod, V1Pod old)
    {
        V1PodSpec? spec = pod.Spec, before = old.Spec;
        if (spec is null || before is null)
        {
            yield break;
        }

        if (before.ActiveDeadlineSeconds is { } was && (spec.ActiveDeadlineSeconds is not { } now || now > was))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.activeDeadlineSeconds", spec.ActiveDeadlineSeconds, "must be less than or equal to previous value");
        }

        // Compare the rest with the mutable fields taken from the old spec.
        V1PodSpec rest = KubernetesSerialization.DeepCopy(spec);
        CopyImages(rest.Containers, before.Containers);
        CopyImages(rest.InitContainers, before.InitContainers);
        rest.ActiveDeadlineSeconds = before.ActiveDeadlineSeconds;
        if ((before.Tolerations ?? []).All(t => (spec.Tolerations ?? []).Any(n => KubernetesSerialization.JsonEquals(n, t))))
        {
            rest.Tolerations = before.Tolerations;
        }

        if ((spec.SchedulingGates ?? []).All(g => (before.SchedulingGates ?? []).Any(o => o.Name == g.Name)))
        {
            rest.SchedulingGates = before.SchedulingGates;
        }

        if (before.TerminationGracePeriodSeconds < 0 && spec.TerminationGracePeriodSeconds == 1)
        {
            rest.TerminationGracePeriodSeconds = before.TerminationGracePeriodSeconds;
        }

        if (!KubernetesSerialization.JsonEquals(rest, before))
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec", null, ImmutableSpecMessage);
        }
    }

    private static void CopyImages(IList<V1Container>? into, IList<V1Container>? from)
    {
        if (into is null || from is null || into.Count != from.Count)
        {
            return;
        }

        for (int i = 0; i < into.Count; i++)
        {
            into[i].Image = from[i].Image;
        }
    }

    /// <summary>SetDefaults_PodSpec and SetDefaults_Container for the fields clients see.</summary>
    public static void DefaultSpec(V1PodSpec? spec)
    {
        if (spec is null)
        {
            return;
        }

        spec.RestartPolicy ??= "Always";
        spec.DnsPolicy ??= "ClusterFirst";
        spec.TerminationGracePeriodSeconds ??= 30;
        spec.SchedulerName ??= "default-scheduler";
        spec.SecurityContext ??= new V1PodSecurityContext();
        spec.EnableServiceLinks ??= true;
        spec.Priority ??= 0;
        spec.PreemptionPolicy ??= "PreemptLowerPriority";
        // The ServiceAccount admission plugin's default, mirrored into the deprecated field as Kubernetes does.
        spec.ServiceAccountName ??= spec.ServiceAccount ?? "default";
        spec.ServiceAccount ??= spec.ServiceAccountName;

        foreach (V1Container c in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            c.ImagePullPolicy ??= ImagePullPolicyFor(c.Image);
            c.TerminationMessagePath ??= "/dev/termination-log";
            c.TerminationMessagePolicy ??= "File";
            foreach (V1ContainerPort port in c.Ports ?? [])
            {
                port.Protocol ??= "TCP";
            }

            if (c.Resources?.Limits is { Count: > 0 } limits)
            {
                c.Resources.Requests ??= new Dictionary<string, ResourceQuantity>();
                foreach ((string name, ResourceQuantity q) in limits)
                {
                    c.Resources.Requests.TryAdd(name, q);
                }
            }
        }
    }

    /// <summary>Always for an untagged or :latest image, else IfNotPresent (digests count as tagged).</summary>
    public static string ImagePullPolicyFor(string? image)
    {
        if (string.IsNullOrEmpty(image) || image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        int slash = image.LastIndexOf('/');
        string last = image[(slash + 1)..];
        int colon = last.LastIndexOf(':');
        return colon < 0 || last[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    /// <summary>The container rules every pod template must meet.</summary>
    public static IEnumerable<FieldError> ValidateSpec(V1PodSpec? spec, string path)
    {
        if (spec is null)
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "");
            yield break;
        }

        if (spec.Containers is not { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Required, $"{path}.containers", null, "");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string list, IList<V1Container>? containers) in new[] { ("initContainers", spec.InitContainers), ("containers", spec.Containers) })
        {
            for (int i = 0; i < (containers?.Count ?? 0); i++)
            {
                V1Container c = containers![i];
                string at = $"{path}.{list}[{i}]";
                if (string.IsNullOrEmpty(c.Name))
                {
                    yield return new FieldError(FieldErrorType.Required, at + ".name", null, "");
                }
                else
                {
                    foreach (string problem in MetadataValidation.NameProblems(c.Name, NameRule.Label))
                    {
                        yield return new FieldError(FieldErrorType.Invalid, at + ".name", c.Name, problem);
                    }

                    if (!names.Add(c.Name))
                    {
                        yield return new FieldError(FieldErrorType.Duplicate, at + ".name", c.Name, "");
                    }
                }

                if (string.IsNullOrWhiteSpace(c.Image))
                {
                    yield return new FieldError(FieldErrorType.Required, at + ".image", null, "");
                }

                for (int p = 0; p < (c.Ports?.Count ?? 0); p++)
                {
                    int port = c.Ports![p].ContainerPort;
                    if (port is < 1 or > 65535)
                    {
                        yield return new FieldError(FieldErrorType.Invalid, $"{at}.ports[{p}].containerPort", port, "must be between 1 and 65535, inclusive");
                    }
                }
            }
        }

        if (spec.RestartPolicy is { } policy && policy is not ("Always" or "OnFailure" or "Never"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, $"{path}.restartPolicy", policy, "supported values: \"Always\", \"OnFailure\", \"Never\"");
        }

        if (spec.DnsPolicy is { } dns && dns is not ("ClusterFirst" or "ClusterFirstWithHostNet" or "Default" or "None"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, $"{path}.dnsPolicy", dns, "supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"");
        }
    }

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
