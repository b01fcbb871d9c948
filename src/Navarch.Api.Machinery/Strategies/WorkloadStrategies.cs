using k8s.Models;

namespace Navarch.Api.Strategies;

/// <summary>Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs: defaults, selector rules and columns.</summary>
public static class WorkloadStrategies
{
    private static readonly TableColumn Containers = new("Containers", "string", "", "Names of each container in the template.", 1);
    private static readonly TableColumn Images = new("Images", "string", "", "Images referenced by each container in the template.", 1);
    private static readonly TableColumn Selector = new("Selector", "string", "", "Label selector for pods.", 1);

    /// <summary>apps/v1 Deployment.</summary>
    public static ResourceStrategy<V1Deployment> Deployment() => new()
    {
        HasStatus = true,
        Defaults = d =>
        {
            d.Spec ??= new V1DeploymentSpec();
            d.Spec.Replicas ??= 1;
            d.Spec.Strategy ??= new V1DeploymentStrategy();
            d.Spec.Strategy.Type ??= "RollingUpdate";
            if (d.Spec.Strategy.Type == "RollingUpdate")
            {
                d.Spec.Strategy.RollingUpdate ??= new V1RollingUpdateDeployment();
                d.Spec.Strategy.RollingUpdate.MaxSurge ??= "25%";
                d.Spec.Strategy.RollingUpdate.MaxUnavailable ??= "25%";
            }

            d.Spec.RevisionHistoryLimit ??= 10;
            d.Spec.ProgressDeadlineSeconds ??= 600;
            PodStrategy.DefaultSpec(d.Spec.Template?.Spec);
        },
        Validation = d => ValidateTemplated(d.Spec?.Selector, d.Spec?.Template, d.Spec?.Replicas),
        UpdateValidation = (d, old) => SelectorImmutable(d.Spec?.Selector, old.Spec?.Selector),
        Columns =
        [
            new("Ready", "string", "", "Number of the pod with ready state"),
            new("Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            new("Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            TableColumn.AgeColumn, Containers, Images, Selector,
        ],
        Cells = (d, now) =>
        [
            $"{d.Status?.ReadyReplicas ?? 0}/{d.Spec?.Replicas ?? 0}",
            d.Status?.UpdatedReplicas ?? 0,
            d.Status?.AvailableReplicas ?? 0,
            Age.Of(d.Metadata.CreationTimestamp, now),
            .. TemplateCells(d.Spec?.Template, d.Spec?.Selector),
        ],
    };

    /// <summary>apps/v1 ReplicaSet.</summary>
    public static ResourceStrategy<V1ReplicaSet> ReplicaSet() => new()
    {
        HasStatus = true,
        Defaults = r =>
        {
            r.Spec ??= new V1ReplicaSetSpec();
            r.Spec.Replicas ??= 1;
            PodStrategy.DefaultSpec(r.Spec.Template?.Spec);
        },
        Validation = r => ValidateTemplated(r.Spec?.Selector, r.Spec?.Template, r.Spec?.Replicas),
        UpdateValidation = (r, old) => SelectorImmutable(r.Spec?.Selector, old.Spec?.Selector),
        Fields = r => [new("status.replicas", (r.Status?.Replicas ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture))],
        Columns =
        [
            new("Desired", "integer", "", "Number of desired pods."),
            new("Current", "integer", "", "Number of actual replicas."),
            new("Ready", "integer", "", "Number of ready replicas."),
            TableColumn.AgeColumn, Containers, Images, Selector,
        ],
        Cells = (r, now) =>
        [
            r.Spec?.Replicas ?? 0, r.Status?.Replicas ?? 0, r.Status?.ReadyReplicas ?? 0,
            Age.Of(r.Metadata.CreationTimestamp, now),
            .. TemplateCells(r.Spec?.Template, r.Spec?.Selector),
        ],
    };

    /// <summary>apps/v1 StatefulSet.</summary>
    public static ResourceStrategy<V1StatefulSet> StatefulSet() => new()
    {
        HasStatus = true,
        Defaults = s =>
        {
            s.Spec ??= new V1StatefulSetSpec();
            s.Spec.Replicas ??= 1;
            s.Spec.PodManagementPolicy ??= "OrderedReady";
            s.Spec.UpdateStrategy ??= new V1StatefulSetUpdateStrategy();
            s.Spec.UpdateStrategy.Type ??= "RollingUpdate";
            if (s.Spec.UpdateStrategy.Type == "RollingUpdate")
            {
                s.Spec.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateStatefulSetStrategy();
                s.Spec.UpdateStrategy.RollingUpdate.Partition ??= 0;
            }

            s.Spec.RevisionHistoryLimit ??= 10;
            s.Spec.PersistentVolumeClaimRetentionPolicy ??= new V1StatefulSetPersistentVolumeClaimRetentionPolicy();
            s.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted ??= "Retain";
            s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled ??= "Retain";
            PodStrategy.DefaultSpec(s.Spec.Template?.Spec);
        },
        Validation = s => ValidateTemplated(s.Spec?.Selector, s.Spec?.Template, s.Spec?.Replicas),
        UpdateValidation = StatefulSetUpdate,
        Columns =
        [
            new("Ready", "string", "", "Number of the pod with ready state"),
            TableColumn.AgeColumn, Containers, Images,
        ],
        Cells = (s, now) =>
        [
            $"{s.Status?.ReadyReplicas ?? 0}/{s.Spec?.Replicas ?? 0}",
            Age.Of(s.Metadata.CreationTimestamp, now),
            .. TemplateCells(s.Spec?.Template, null).Take(2),
        ],
    };

    /// <summary>apps/v1 DaemonSet.</summary>
    public static ResourceStrategy<V1DaemonSet> DaemonSet() => new()
    {
        HasStatus = true,
        Defaults = d =>
        {
            d.Spec ??= new V1DaemonSetSpec();
            d.Spec.UpdateStrategy ??= new V1DaemonSetUpdateStrategy();
            d.Spec.UpdateStrategy.Type ??= "RollingUpdate";
            if (d.Spec.UpdateStrategy.Type == "RollingUpdate")
            {
                d.Spec.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateDaemonSet();
                d.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable ??= 1;
                d.Spec.UpdateStrategy.RollingUpdate.MaxSurge ??= 0;
            }

            d.Spec.RevisionHistoryLimit ??= 10;
            PodStrategy.DefaultSpec(d.Spec.Template?.Spec);
        },
        Validation = d => ValidateTemplated(d.Spec?.Selector, d.Spec?.Template, null),
        UpdateValidation = (d, old) => SelectorImmutable(d.Spec?.Selector, old.Spec?.Selector),
        Columns =
        [
            new("Desired", "integer", "", "The desired number of nodes that should be running the daemon pod."),
            new("Current", "integer", "", "The number of nodes that are running at least one daemon pod."),
            new("Ready", "integer", "", "The number of nodes that should be running the daemon pod and have one or more running and ready."),
            new("Up-to-date", "integer", "", "The total number of nodes that are running updated daemon pod."),
            new("Available", "integer", "", "The number of nodes that should be running the daemon pod and have one or more available."),
            new("Node Selector", "string", "", "NodeSelector is a selector which must be true for the pod to fit on a node."),
            TableColumn.AgeColumn, Containers, Images, Selector,
        ],
        Cells = (d, now) =>
        [
            d.Status?.DesiredNumberScheduled ?? 0, d.Status?.CurrentNumberScheduled ?? 0, d.Status?.NumberReady ?? 0,
            d.Status?.UpdatedNumberScheduled ?? 0, d.Status?.NumberAvailable ?? 0,
            d.Spec?.Template?.Spec?.NodeSelector is { Count: > 0 } ns ? string.Join(",", ns.Select(kv => $"{kv.Key}={kv.Value}")) : "<none>",
            Age.Of(d.Metadata.CreationTimestamp, now),
            .. TemplateCells(d.Spec?.Template, d.Spec?.Selector),
        ],
    };

    /// <summary>batch/v1 Job. The selector and labels that tie pods to the job are generated from its uid.</summary>
    public static ResourceStrategy<V1Job> Job() => new()
    {
        HasStatus = true,
        Defaults = j =>
        {
            j.Spec ??= new V1JobSpec();
            j.Spec.Completions ??= j.Spec.Parallelism is null ? 1 : null;
            j.Spec.Parallelism ??= 1;
            j.Spec.BackoffLimit ??= 6;
            j.Spec.CompletionMode ??= "NonIndexed";
            j.Spec.Suspend ??= false;
            j.Spec.ManualSelector ??= null;
            j.Spec.PodReplacementPolicy ??= "TerminatingOrFailed";
            PodStrategy.DefaultSpec(j.Spec.Template?.Spec);
        },
        OnCreate = j =>
        {
            if (j.Spec?.ManualSelector == true || j.Spec?.Template is null || j.Metadata.Uid is null)
            {
                return;
            }

            var labels = new Dictionary<string, string>
            {
                ["batch.kubernetes.io/controller-uid"] = j.Metadata.Uid,
                ["batch.kubernetes.io/job-name"] = j.Metadata.Name,
                ["controller-uid"] = j.Metadata.Uid,
                ["job-name"] = j.Metadata.Name,
            };
            j.Spec.Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["batch.kubernetes.io/controller-uid"] = j.Metadata.Uid } };
            j.Spec.Template.Metadata ??= new V1ObjectMeta();
            j.Spec.Template.Metadata.Labels ??= new Dictionary<string, string>();
            foreach ((string k, string v) in labels)
            {
                j.Spec.Template.Metadata.Labels[k] = v;
            }
        },
        Validation = j => PodStrategy.ValidateSpec(j.Spec?.Template?.Spec, "spec.template.spec").Concat(JobRestartPolicy(j)),
        UpdateValidation = JobUpdate,
        Fields = j => [new("status.successful", (j.Status?.Succeeded ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture))],
        Columns =
        [
            new("Status", "string", "", "Status of the job."),
            new("Completions", "string", "", "The desired number of successfully finished pods the job should be run with."),
            new("Duration", "string", "", "Time required to complete the job."),
            TableColumn.AgeColumn, Containers, Images, Selector,
        ],
        Cells = (j, now) =>
        [
            JobStatus(j),
            j.Spec?.Completions is { } c ? $"{j.Status?.Succeeded ?? 0}/{c}" : $"{j.Status?.Succeeded ?? 0}/1 of {j.Spec?.Parallelism ?? 1}",
            j.Status?.StartTime is { } start ? Age.Human((j.Status.CompletionTime is { } done ? new DateTimeOffset(DateTime.SpecifyKind(done, DateTimeKind.Utc)) : now) - new DateTimeOffset(DateTime.SpecifyKind(start, DateTimeKind.Utc))) : "",
            Age.Of(j.Metadata.CreationTimestamp, now),
            .. TemplateCells(j.Spec?.Template, j.Spec?.Selector),
        ],
    };

    private static string JobStatus(V1Job j)
    {
        foreach (V1JobCondition c in j.Status?.Conditions ?? [])
        {
            if (c.Status == "True" && c.Type is "Complete" or "Failed" or "Suspended" or "FailureTarget" or "SuccessCriteriaMet")
            {
                return c.Type;
            }
        }

        return "Running";
    }

    private static IEnumerable<FieldError> JobRestartPolicy(V1Job j)
    {
        string? policy = j.Spec?.Template?.Spec?.RestartPolicy;
        if (policy is not ("OnFailure" or "Never"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, "spec.template.spec.restartPolicy", policy ?? "", "supported values: \"OnFailure\", \"Never\"");
        }
    }

    /// <summary>The rules every pod-template controller shares: a non-empty selector that matches the template's labels.</summary>
    public static IEnumerable<FieldError> ValidateTemplated(V1LabelSelector? selector, V1PodTemplateSpec? template, int? replicas)
    {
        if (replicas is < 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.replicas", replicas.Value, "must be greater than or equal to 0");
        }

        if (selector is null)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.selector", null, "");
        }
        else if ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.selector", "", "empty selector is invalid for deployment");
        }
        else if (template is not null && !SelectorMatches(selector, template.Metadata?.Labels))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.template.metadata.labels", FormatLabels(template.Metadata?.Labels), "`selector` does not match template `labels`");
        }

        if (template is null)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.template", null, "");
        }
        else
        {
            foreach (FieldError e in MetadataValidation.ValidateLabels(template.Metadata?.Labels, "spec.template.metadata.labels"))
            {
                yield return e;
            }

            foreach (FieldError e in PodStrategy.ValidateSpec(template.Spec, "spec.template.spec"))
            {
                yield return e;
            }
        }
    }

    /// <summary>ValidateStatefulSetUpdate: besides the selector, only these spec fields may change.</summary>
    private static IEnumerable<FieldError> StatefulSetUpdate(V1StatefulSet set, V1StatefulSet old)
    {
        foreach (FieldError error in SelectorImmutable(set.Spec?.Selector, old.Spec?.Selector))
        {
            yield return error;
        }

        if (set.Spec is null || old.Spec is null)
        {
            yield break;
        }

        V1StatefulSetSpec rest = KubernetesSerialization.DeepCopy(set.Spec);
        rest.Replicas = old.Spec.Replicas;
        rest.Ordinals = old.Spec.Ordinals;
        rest.Template = old.Spec.Template;
        rest.UpdateStrategy = old.Spec.UpdateStrategy;
        rest.RevisionHistoryLimit = old.Spec.RevisionHistoryLimit;
        rest.PersistentVolumeClaimRetentionPolicy = old.Spec.PersistentVolumeClaimRetentionPolicy;
        rest.MinReadySeconds = old.Spec.MinReadySeconds;
        rest.Selector = old.Spec.Selector;
        if (!KubernetesSerialization.JsonEquals(rest, old.Spec))
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec", null, "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        }
    }

    /// <summary>
    /// ValidateJobSpecUpdate: the selector, template, completion mode and completions are fixed — except that a
    /// suspended Job that never started may change its pods' scheduling directives (node selector, affinity,
    /// tolerations, scheduling gates, labels and annotations), and an Indexed Job may change completions together with
    /// parallelism (elastic Indexed Jobs).
    /// </summary>
    private static IEnumerable<FieldError> JobUpdate(V1Job job, V1Job old)
    {
        foreach (FieldError error in SelectorImmutable(job.Spec?.Selector, old.Spec?.Selector))
        {
            yield return error;
        }

        V1JobSpec? spec = job.Spec, before = old.Spec;
        if (spec is null || before is null)
        {
            yield break;
        }

        V1PodTemplateSpec? template = spec.Template;
        if (before.Suspend == true && old.Status?.StartTime is null && template is not null && before.Template is not null)
        {
            template = KubernetesSerialization.DeepCopy(template);
            template.Metadata ??= new V1ObjectMeta();
            template.Metadata.Labels = before.Template.Metadata?.Labels;
            template.Metadata.Annotations = before.Template.Metadata?.Annotations;
            if (template.Spec is not null)
            {
                template.Spec.NodeSelector = before.Template.Spec?.NodeSelector;
                template.Spec.Affinity = before.Template.Spec?.Affinity;
                template.Spec.Tolerations = before.Template.Spec?.Tolerations;
                template.Spec.SchedulingGates = before.Template.Spec?.SchedulingGates;
            }
        }

        if (!KubernetesSerialization.JsonEquals(template, before.Template))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.template", null, "field is immutable");
        }

        if (spec.CompletionMode != before.CompletionMode)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.completionMode", spec.CompletionMode, "field is immutable");
        }

        if (spec.Completions != before.Completions && !(spec.CompletionMode == "Indexed" && spec.Completions == spec.Parallelism))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.completions", spec.Completions, "field is immutable");
        }
    }

    private static IEnumerable<FieldError> SelectorImmutable(V1LabelSelector? now, V1LabelSelector? old)
    {
        if (!KubernetesSerialization.JsonEquals(now, old))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.selector", now is null ? null : FormatSelector(now), "field is immutable");
        }
    }

    /// <summary>Whether a label selector (matchLabels and matchExpressions) selects <paramref name="labels"/>.</summary>
    public static bool SelectorMatches(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        foreach ((string k, string v) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(k, out string? have) || have != v)
            {
                return false;
            }
        }

        foreach (V1LabelSelectorRequirement r in selector.MatchExpressions ?? [])
        {
            bool has = labels.TryGetValue(r.Key, out string? value);
            bool ok = r.OperatorProperty switch
            {
                "In" => has && (r.Values?.Contains(value!) ?? false),
                "NotIn" => !has || !(r.Values?.Contains(value!) ?? false),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static string FormatLabels(IDictionary<string, string>? labels) =>
        "map[string]string{" + string.Join(", ", (labels ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"\"{kv.Key}\":\"{kv.Value}\"")) + "}";

    private static IEnumerable<object?> TemplateCells(V1PodTemplateSpec? template, V1LabelSelector? selector)
    {
        IList<V1Container> containers = template?.Spec?.Containers ?? [];
        yield return string.Join(",", containers.Select(c => c.Name));
        yield return string.Join(",", containers.Select(c => c.Image));
        yield return selector is null ? "<none>" : FormatSelector(selector);
    }

    /// <summary>A selector as kubectl prints it: <c>app=web,tier in (a,b)</c>.</summary>
    public static string FormatSelector(V1LabelSelector selector)
    {
        var parts = (selector.MatchLabels ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}").ToList();
        foreach (V1LabelSelectorRequirement r in selector.MatchExpressions ?? [])
        {
            parts.Add(r.OperatorProperty switch
            {
                "In" => $"{r.Key} in ({string.Join(",", r.Values ?? [])})",
                "NotIn" => $"{r.Key} notin ({string.Join(",", r.Values ?? [])})",
                "Exists" => r.Key,
                _ => "!" + r.Key,
            });
        }

        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }
}
