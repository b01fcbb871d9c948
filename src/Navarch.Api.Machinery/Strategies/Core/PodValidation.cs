using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>Kubernetes' <c>ValidatePodSpec</c> (for pods and every pod template) and <c>ValidatePodUpdate</c>.</summary>
internal static class PodValidation
{
    /// <summary>The message of Kubernetes' ValidatePodUpdate for a spec change outside what may change.</summary>
    public const string ImmutableSpecMessage = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    private static readonly SupportedValues RestartPolicies = new("Always", "OnFailure", "Never");
    private static readonly SupportedValues DnsPolicies = new("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None");

    /// <summary>ValidatePodCreate's own rule: ephemeral containers come only through the pod's ephemeralcontainers subresource.</summary>
    public static IEnumerable<FieldError> ValidateCreate(V1PodSpec? spec)
    {
        if (spec?.EphemeralContainers is { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec.ephemeralContainers", null, "cannot be set on create");
        }
    }

    /// <summary>
    /// A pod template's spec (ValidatePodTemplateSpec) under <paramref name="path"/>: a pod spec's rules, and no
    /// ephemeral containers, which only a running pod's subresource adds.
    /// </summary>
    public static IEnumerable<FieldError> ValidateTemplateSpec(V1PodSpec? spec, string path)
    {
        foreach (FieldError error in ValidateSpec(spec, path))
        {
            yield return error;
        }

        if (spec?.EphemeralContainers is { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Forbidden, $"{path}.ephemeralContainers", null, "ephemeral containers not allowed in pod template");
        }
    }

    /// <summary>The container rules every pod spec must meet, reported under <paramref name="path"/>.</summary>
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
                    // ValidateContainerPorts: an unset port (0, also what a null list element decodes to) is Required.
                    string portPath = $"{at}.ports[{p}].containerPort";
                    FieldError? error = c.Ports![p].ContainerPort == 0 ? new FieldError(FieldErrorType.Required, portPath, null, "") : FieldValidation.PortNumber(portPath, c.Ports[p].ContainerPort);
                    if (error is not null)
                    {
                        yield return error;
                    }
                }

                foreach (FieldError error in QuantityValidation.Requirements(c.Resources, at + ".resources"))
                {
                    yield return error;
                }

                foreach (FieldError error in VolumeDeviceValidation.Validate(c, spec.Volumes, at))
                {
                    yield return error;
                }
            }
        }

        for (int v = 0; v < (spec.Volumes?.Count ?? 0); v++)
        {
            // validateEphemeralVolumeSource: the claim template is required and must be a valid claim spec.
            if (spec.Volumes![v]?.Ephemeral is not { } ephemeral)
            {
                continue;
            }

            string at = $"{path}.volumes[{v}].ephemeral.volumeClaimTemplate";
            if (ephemeral.VolumeClaimTemplate is null)
            {
                yield return new FieldError(FieldErrorType.Required, at, null, "");
                continue;
            }

            var claim = new V1PersistentVolumeClaim { Spec = ephemeral.VolumeClaimTemplate.Spec };
            foreach (FieldError error in PersistentVolumeClaimValidation.Validate(claim))
            {
                yield return error with { Field = $"{at}.{error.Field}" };
            }
        }

        foreach (FieldError error in EphemeralContainerValidation.Validate(spec, $"{path}.ephemeralContainers", names))
        {
            yield return error;
        }

        if (spec.RestartPolicy is { } policy && RestartPolicies.Check($"{path}.restartPolicy", policy) is { } badPolicy)
        {
            yield return badPolicy;
        }

        if (spec.DnsPolicy is { } dns && DnsPolicies.Check($"{path}.dnsPolicy", dns) is { } badDns)
        {
            yield return badDns;
        }
    }

    /// <summary>
    /// ValidatePodUpdate: a pod's spec is fixed once created, except container and init container images,
    /// activeDeadlineSeconds (set, or lowered), tolerations (only added), scheduling gates (only removed), and
    /// terminationGracePeriodSeconds from a negative value to 1. spec.nodeName is set through pods/binding only.
    /// </summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1Pod pod, V1Pod old)
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
}
