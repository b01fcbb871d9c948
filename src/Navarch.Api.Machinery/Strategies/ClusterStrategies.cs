using System.Globalization;
using Cronos;
using k8s.Models;

namespace Navarch.Api.Strategies;

/// <summary>CronJobs, storage, autoscaling, disruption budgets, RBAC, priority classes and the rest of the catalog.</summary>
public static class ClusterStrategies
{
    private static readonly TableColumn CreatedAt = new("Created At", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.");

    /// <summary>batch/v1 CronJob: the schedule must parse (standard five fields or an @macro) and the time zone must exist.</summary>
    public static ResourceStrategy<V1CronJob> CronJob() => new()
    {
        HasStatus = true,
        Defaults = c =>
        {
            c.Spec ??= new V1CronJobSpec();
            c.Spec.ConcurrencyPolicy ??= "Allow";
            c.Spec.Suspend ??= false;
            c.Spec.SuccessfulJobsHistoryLimit ??= 3;
            c.Spec.FailedJobsHistoryLimit ??= 1;
            PodStrategy.DefaultSpec(c.Spec.JobTemplate?.Spec?.Template?.Spec);
        },
        Validation = ValidateCronJob,
        Columns =
        [
            new("Schedule", "string", "", "The schedule in Cron format."),
            new("Timezone", "string", "", "The time zone name for the given schedule."),
            new("Suspend", "boolean", "", "Whether subsequent executions are suspended."),
            new("Active", "integer", "", "A list of pointers to currently running jobs."),
            new("Last Schedule", "string", "", "Information when was the last time the job was successfully scheduled."),
            TableColumn.AgeColumn,
        ],
        Cells = (c, now) =>
        [
            c.Spec?.Schedule, c.Spec?.TimeZone ?? "<none>", c.Spec?.Suspend ?? false, c.Status?.Active?.Count ?? 0,
            c.Status?.LastScheduleTime is { } last ? Age.Of(last, now) : "<none>",
            Age.Of(c.Metadata.CreationTimestamp, now),
        ],
    };

    /// <summary>Parses a CronJob schedule the way Kubernetes accepts it; null when it does not parse.</summary>
    public static CronExpression? ParseSchedule(string? schedule)
    {
        string text = (schedule ?? "").Trim() switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            var s => s,
        };
        try
        {
            return CronExpression.Parse(text, CronFormat.Standard);
        }
        catch (CronFormatException)
        {
            return null;
        }
    }

    private static IEnumerable<FieldError> ValidateCronJob(V1CronJob c)
    {
        if (string.IsNullOrWhiteSpace(c.Spec?.Schedule))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.schedule", null, "");
        }
        else if (c.Spec.Schedule.Contains("TZ", StringComparison.Ordinal))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.schedule", c.Spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        }
        else if (ParseSchedule(c.Spec.Schedule) is null)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.schedule", c.Spec.Schedule, "unparseable schedule");
        }

        if (c.Spec?.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.timeZone", zone, "unknown time zone " + zone);
        }

        if (c.Spec?.ConcurrencyPolicy is { } policy && policy is not ("Allow" or "Forbid" or "Replace"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, "spec.concurrencyPolicy", policy, "supported values: \"Allow\", \"Forbid\", \"Replace\"");
        }

        string? restart = c.Spec?.JobTemplate?.Spec?.Template?.Spec?.RestartPolicy;
        if (restart is not ("OnFailure" or "Never"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, "spec.jobTemplate.spec.template.spec.restartPolicy", restart ?? "", "supported values: \"OnFailure\", \"Never\"");
        }

        foreach (FieldError e in PodStrategy.ValidateSpec(c.Spec?.JobTemplate?.Spec?.Template?.Spec, "spec.jobTemplate.spec.template.spec"))
        {
            yield return e;
        }
    }

    /// <summary>core/v1 Endpoints.</summary>
    public static ResourceStrategy<V1Endpoints> Endpoints() => new()
    {
        Defaults = e =>
        {
            foreach (Corev1EndpointPort port in (e.Subsets ?? []).SelectMany(s => s.Ports ?? []))
            {
                port.Protocol ??= "TCP";
            }
        },
        Validation = SpecValidation.Endpoints,
        Columns = [new("Endpoints", "string", "", "Endpoints of the service"), TableColumn.AgeColumn],
        Cells = (e, now) => [FormatEndpoints(e), Age.Of(e.Metadata.CreationTimestamp, now)],
    };

    private static string FormatEndpoints(V1Endpoints e)
    {
        var all = (e.Subsets ?? []).SelectMany(s => (s.Addresses ?? []).SelectMany(a => (s.Ports is { Count: > 0 } ports ? ports.Select(p => $"{a.Ip}:{p.Port}") : [a.Ip]))).ToList();
        return all.Count == 0 ? "<none>" : all.Count > 3 ? string.Join(",", all.Take(3)) + $" + {all.Count - 3} more..." : string.Join(",", all);
    }

    /// <summary>core/v1 PersistentVolumeClaim.</summary>
    public static ResourceStrategy<V1PersistentVolumeClaim> PersistentVolumeClaim() => new()
    {
        HasStatus = true,
        Defaults = c =>
        {
            c.Spec ??= new V1PersistentVolumeClaimSpec();
            c.Spec.VolumeMode ??= "Filesystem";
            c.Status ??= new V1PersistentVolumeClaimStatus();
            c.Status.Phase ??= "Pending";
        },
        Validation = c => c.Spec?.AccessModes is { Count: > 0 } ? [] : [new FieldError(FieldErrorType.Required, "spec.accessModes", null, "at least 1 access mode is required")],
        Columns =
        [
            new("Status", "string", "", "Phase represents the current phase of PersistentVolumeClaim."),
            new("Volume", "string", "", "VolumeName is the binding reference to the PersistentVolume backing this claim."),
            new("Capacity", "string", "", "Capacity represents the actual resources of the underlying volume."),
            new("Access Modes", "string", "", "AccessModes contains the desired access modes the volume should have."),
            new("StorageClass", "string", "", "StorageClassName is the name of the StorageClass required by the claim."),
            TableColumn.AgeColumn,
        ],
        Cells = (c, now) =>
        [
            c.Status?.Phase ?? "Pending", c.Spec?.VolumeName ?? "",
            c.Status?.Capacity is { } cap && cap.TryGetValue("storage", out ResourceQuantity? q) ? q.ToString() : "",
            AccessModes(c.Spec?.AccessModes), c.Spec?.StorageClassName ?? "<unset>", Age.Of(c.Metadata.CreationTimestamp, now),
        ],
    };

    private static string AccessModes(IList<string>? modes) =>
        string.Join(",", (modes ?? []).Select(m => m switch { "ReadWriteOnce" => "RWO", "ReadOnlyMany" => "ROX", "ReadWriteMany" => "RWX", "ReadWriteOncePod" => "RWOP", _ => m }));

    /// <summary>autoscaling/v2 HorizontalPodAutoscaler.</summary>
    public static ResourceStrategy<V2HorizontalPodAutoscaler> HorizontalPodAutoscaler() => new()
    {
        HasStatus = true,
        Validation = h => h.Spec is null || h.Spec.MaxReplicas < 1
            ? [new FieldError(FieldErrorType.Invalid, "spec.maxReplicas", h.Spec?.MaxReplicas ?? 0, "must be greater than or equal to 1")]
            : h.Spec.MinReplicas is { } min && min > h.Spec.MaxReplicas
                ? [new FieldError(FieldErrorType.Invalid, "spec.maxReplicas", h.Spec.MaxReplicas, "must be greater than or equal to `minReplicas`")]
                : [],
        Columns =
        [
            new("Reference", "string", "", "The identifier for the scaled resource."),
            new("Targets", "string", "", "The current and target metric values."),
            new("MinPods", "string", "", "Lower limit for the number of pods."),
            new("MaxPods", "integer", "", "Upper limit for the number of pods."),
            new("Replicas", "integer", "", "Current number of replicas."),
            TableColumn.AgeColumn,
        ],
        Cells = (h, now) =>
        [
            $"{h.Spec?.ScaleTargetRef?.Kind}/{h.Spec?.ScaleTargetRef?.Name}",
            h.Spec?.Metrics is { Count: > 0 } metrics
                ? string.Join(", ", metrics.Select(m => $"cpu: <unknown>/{m.Resource?.Target?.AverageUtilization?.ToString(CultureInfo.InvariantCulture) ?? "?"}%"))
                : "<none>",
            (h.Spec?.MinReplicas ?? 1).ToString(CultureInfo.InvariantCulture), h.Spec?.MaxReplicas ?? 0, h.Status?.CurrentReplicas ?? 0,
            Age.Of(h.Metadata.CreationTimestamp, now),
        ],
    };

    /// <summary>policy/v1 PodDisruptionBudget.</summary>
    public static ResourceStrategy<V1PodDisruptionBudget> PodDisruptionBudget() => new()
    {
        HasStatus = true,
        Validation = p => p.Spec?.MinAvailable is not null && p.Spec.MaxUnavailable is not null
            ? [new FieldError(FieldErrorType.Invalid, "spec", p.Spec.ToString(), "minAvailable and maxUnavailable cannot be both set")]
            : [],
        Columns =
        [
            new("Min Available", "string", "", "The minimum number of pods that must be available."),
            new("Max Unavailable", "string", "", "The maximum number of pods that may be unavailable."),
            new("Allowed Disruptions", "integer", "", "Calculated number of pods that may be disrupted at this time."),
            TableColumn.AgeColumn,
        ],
        Cells = (p, now) =>
        [
            p.Spec?.MinAvailable?.Value ?? "N/A", p.Spec?.MaxUnavailable?.Value ?? "N/A", p.Status?.DisruptionsAllowed ?? 0,
            Age.Of(p.Metadata.CreationTimestamp, now),
        ],
    };

    /// <summary>rbac Role and ClusterRole: every rule needs verbs, and resource rules need API groups.</summary>
    public static ResourceStrategy<T> Role<T>(Func<T, IList<V1PolicyRule>?> rules)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta> => new()
    {
        NameRule = NameRule.PathSegment,
        Validation = r => ValidateRules(rules(r)),
        Columns = [CreatedAt],
        Cells = (r, _) => [r.Metadata.CreationTimestamp?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)],
    };

    private static IEnumerable<FieldError> ValidateRules(IList<V1PolicyRule>? rules)
    {
        for (int i = 0; i < (rules?.Count ?? 0); i++)
        {
            V1PolicyRule rule = rules![i];
            if (rule.Verbs is not { Count: > 0 })
            {
                yield return new FieldError(FieldErrorType.Required, $"rules[{i}].verbs", null, "verbs must contain at least one value");
            }

            if (rule.Resources is { Count: > 0 } && rule.ApiGroups is not { Count: > 0 })
            {
                yield return new FieldError(FieldErrorType.Required, $"rules[{i}].apiGroups", null, "resource rules must supply at least one api group");
            }
        }
    }

    /// <summary>rbac RoleBinding and ClusterRoleBinding: roleRef is required and cannot change.</summary>
    public static ResourceStrategy<T> Binding<T>(Func<T, V1RoleRef?> roleRef, Func<T, IList<Rbacv1Subject>?> subjects)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta> => new()
    {
        NameRule = NameRule.PathSegment,
        Validation = b => roleRef(b) is { Name.Length: > 0, Kind.Length: > 0 } ? [] : [new FieldError(FieldErrorType.Required, "roleRef.name", null, "")],
        UpdateValidation = (b, old) => KubernetesSerialization.JsonEquals(roleRef(b), roleRef(old))
            ? []
            : [new FieldError(FieldErrorType.Invalid, "roleRef", roleRef(b)?.Name, "cannot change roleRef")],
        Columns =
        [
            new("Role", "string", "", "Role is the role that the binding binds to."),
            TableColumn.AgeColumn,
            new("Users", "string", "", "Users in the binding.", 1),
            new("Groups", "string", "", "Groups in the binding.", 1),
            new("ServiceAccounts", "string", "", "ServiceAccounts in the binding.", 1),
        ],
        Cells = (b, now) =>
        [
            $"{roleRef(b)?.Kind}/{roleRef(b)?.Name}", Age.Of(b.Metadata.CreationTimestamp, now),
            string.Join(", ", (subjects(b) ?? []).Where(s => s.Kind == "User").Select(s => s.Name)),
            string.Join(", ", (subjects(b) ?? []).Where(s => s.Kind == "Group").Select(s => s.Name)),
            string.Join(", ", (subjects(b) ?? []).Where(s => s.Kind == "ServiceAccount").Select(s => $"{s.NamespaceProperty}/{s.Name}")),
        ],
    };

    /// <summary>scheduling.k8s.io/v1 PriorityClass.</summary>
    public static ResourceStrategy<V1PriorityClass> PriorityClass() => new()
    {
        Defaults = p => p.PreemptionPolicy ??= "PreemptLowerPriority",
        Validation = p => p.Value > 1_000_000_000 && !p.Metadata.Name.StartsWith("system-", StringComparison.Ordinal)
            ? [new FieldError(FieldErrorType.Forbidden, "value", null, "maximum allowed value of a user defined priority is 1000000000")]
            : [],
        UpdateValidation = (p, old) => p.Value == old.Value ? [] : [new FieldError(FieldErrorType.Forbidden, "value", null, "may not be changed in an update.")],
        Columns =
        [
            new("Value", "integer", "", "The value of this priority class."),
            new("Global-Default", "boolean", "", "globalDefault specifies whether this PriorityClass should be considered as the default priority."),
            TableColumn.AgeColumn,
            new("PreemptionPolicy", "string", "", "PreemptionPolicy is the Policy for preempting pods with lower priority."),
        ],
        Cells = (p, now) => [p.Value, p.GlobalDefault ?? false, Age.Of(p.Metadata.CreationTimestamp, now), p.PreemptionPolicy],
    };

    /// <summary>storage.k8s.io/v1 StorageClass.</summary>
    public static ResourceStrategy<V1StorageClass> StorageClass() => new()
    {
        Defaults = s =>
        {
            s.ReclaimPolicy ??= "Delete";
            s.VolumeBindingMode ??= "Immediate";
        },
        Validation = s => string.IsNullOrEmpty(s.Provisioner) ? [new FieldError(FieldErrorType.Required, "provisioner", null, "")] : [],
        UpdateValidation = (s, old) => s.Provisioner == old.Provisioner ? [] : [new FieldError(FieldErrorType.Forbidden, "provisioner", null, "updates to provisioner are forbidden.")],
        Columns =
        [
            new("Provisioner", "string", "", "Indicates the type of the provisioner."),
            new("ReclaimPolicy", "string", "", "Indicates the type of the reclaim policy."),
            new("VolumeBindingMode", "string", "", "Indicates the type of volume binding mode."),
            new("AllowVolumeExpansion", "boolean", "", "Indicates whether volume expansion is allowed."),
            TableColumn.AgeColumn,
        ],
        Cells = (s, now) => [s.Provisioner, s.ReclaimPolicy, s.VolumeBindingMode, s.AllowVolumeExpansion ?? false, Age.Of(s.Metadata.CreationTimestamp, now)],
    };

    /// <summary>core/v1 ServiceAccount.</summary>
    public static ResourceStrategy<V1ServiceAccount> ServiceAccount() => new()
    {
        Columns = [new("Secrets", "string", "", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), TableColumn.AgeColumn],
        Cells = (s, now) => [s.Secrets?.Count ?? 0, Age.Of(s.Metadata.CreationTimestamp, now)],
    };

    /// <summary>networking.k8s.io/v1 Ingress.</summary>
    public static ResourceStrategy<V1Ingress> Ingress() => new()
    {
        HasStatus = true,
        Validation = SpecValidation.Ingress,
        Columns =
        [
            new("Class", "string", "", "The name of the IngressClass resource."),
            new("Hosts", "string", "", "Hosts that incoming requests are matched against."),
            new("Address", "string", "", "Address is a list containing ingress points for the load-balancer."),
            new("Ports", "string", "", "Ports of TLS configurations that open."),
            TableColumn.AgeColumn,
        ],
        Cells = (i, now) =>
        [
            i.Spec?.IngressClassName ?? "<none>",
            i.Spec?.Rules is { Count: > 0 } rules ? string.Join(",", rules.Select(r => string.IsNullOrEmpty(r.Host) ? "*" : r.Host)) : "*",
            string.Join(",", (i.Status?.LoadBalancer?.Ingress ?? []).Select(x => x.Ip ?? x.Hostname)),
            i.Spec?.Tls is { Count: > 0 } ? "80, 443" : "80",
            Age.Of(i.Metadata.CreationTimestamp, now),
        ],
    };
}
