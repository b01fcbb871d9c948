using k8s;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>
/// Ephemeral containers (Kubernetes' validateEphemeralContainers, ValidatePodEphemeralContainersUpdate and the
/// pods/ephemeralcontainers strategy): debugging containers added to a running pod through its
/// <c>ephemeralcontainers</c> subresource, only ever added — never changed or removed — with names unique among all the
/// pod's containers, a targetContainerName that names one of its (init or app) containers, and none of the fields
/// that would make them part of the workload (ports, probes, lifecycle, resources, restart policy, subPath mounts).
/// </summary>
public static class EphemeralContainerValidation
{
    private const string NotForEphemeral = "cannot be set for an Ephemeral Container";

    /// <summary>The pod annotation that marks a mirror (static) pod.</summary>
    private const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    /// <summary>
    /// The subresource's PrepareForUpdate (dropNonEphemeralContainerUpdates): of the new object only
    /// spec.ephemeralContainers is kept — spec, status and the metadata a status write may not change are the stored
    /// pod's — and the new containers get the container defaults, as decoding gives them in Kubernetes.
    /// </summary>
    public static void PrepareForUpdate(V1Pod pod, V1Pod old)
    {
        IList<V1EphemeralContainer>? ephemeral = pod.Spec?.EphemeralContainers;
        pod.Spec = KubernetesSerialization.DeepCopy(old.Spec);
        pod.Spec.EphemeralContainers = ephemeral is { Count: > 0 } ? ephemeral : null;
        pod.Status = old.Status;
        V1ObjectMeta meta = pod.Metadata, before = old.Metadata;
        meta.Labels = before.Labels;
        meta.Annotations = before.Annotations;
        meta.Finalizers = before.Finalizers;
        meta.OwnerReferences = before.OwnerReferences;
        meta.Generation = before.Generation;
        foreach (V1EphemeralContainer c in pod.Spec.EphemeralContainers ?? [])
        {
            c.ImagePullPolicy ??= PodSpecDefaults.ImagePullPolicyFor(c.Image);
            c.TerminationMessagePath ??= "/dev/termination-log";
            c.TerminationMessagePolicy ??= "File";
        }
    }

    /// <summary>
    /// ValidatePodEphemeralContainersUpdate: the pod's spec with its ephemeral containers is valid, a static pod takes
    /// none, and every ephemeral container the pod had is still there, unchanged.
    /// </summary>
    public static IReadOnlyList<FieldError> ValidateUpdate(V1Pod pod, V1Pod old)
    {
        var errors = PodValidation.ValidateSpec(pod.Spec, "spec").ToList();
        if (old.Metadata.Annotations?.ContainsKey(MirrorPodAnnotation) == true)
        {
            return [new FieldError(FieldErrorType.Forbidden, "", null, "static pods do not support ephemeral containers")];
        }

        const string Path = "spec.ephemeralContainers";
        var added = (pod.Spec?.EphemeralContainers ?? []).GroupBy(c => c.Name, StringComparer.Ordinal).ToDictionary(g => g.Key ?? "", g => g.Last(), StringComparer.Ordinal);
        foreach (V1EphemeralContainer before in old.Spec?.EphemeralContainers ?? [])
        {
            if (!added.TryGetValue(before.Name ?? "", out V1EphemeralContainer? now))
            {
                errors.Add(new FieldError(FieldErrorType.Forbidden, Path, null, $"existing ephemeral containers \"{before.Name}\" may not be removed\n"));
            }
            else if (!KubernetesSerialization.JsonEquals(before, now))
            {
                // Kubernetes appends a diff of the two containers to the message; the sentence is the contract.
                errors.Add(new FieldError(FieldErrorType.Forbidden, Path, null, $"existing ephemeral containers \"{before.Name}\" may not be changed\n"));
            }
        }

        return errors;
    }

    /// <summary>
    /// validateEphemeralContainers for a pod spec whose init and app containers have the names in
    /// <paramref name="names"/> (each ephemeral container's name is added to them), under <paramref name="path"/>.
    /// </summary>
    internal static IEnumerable<FieldError> Validate(V1PodSpec spec, string path, HashSet<string> names)
    {
        var regular = (spec.InitContainers ?? []).Concat(spec.Containers ?? []).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        IList<V1EphemeralContainer> ephemeral = spec.EphemeralContainers ?? [];
        for (int i = 0; i < ephemeral.Count; i++)
        {
            V1EphemeralContainer c = ephemeral[i];
            string at = $"{path}[{i}]";
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
            }

            if (string.IsNullOrWhiteSpace(c.Image))
            {
                yield return new FieldError(FieldErrorType.Required, at + ".image", null, "");
            }

            if (!string.IsNullOrEmpty(c.Name) && !names.Add(c.Name))
            {
                yield return new FieldError(FieldErrorType.Duplicate, at + ".name", c.Name, "");
            }

            if (!string.IsNullOrEmpty(c.TargetContainerName) && !regular.Contains(c.TargetContainerName))
            {
                yield return new FieldError(FieldErrorType.NotFound, at + ".targetContainerName", c.TargetContainerName, "");
            }

            // An allow list in Kubernetes (validateFieldAllowList); these are the fields it leaves out, in the order of
            // the Go struct, by which the errors are reported.
            foreach (string field in DisallowedFieldsSet(c))
            {
                yield return new FieldError(FieldErrorType.Forbidden, $"{at}.{field}", null, NotForEphemeral);
            }

            for (int m = 0; m < (c.VolumeMounts?.Count ?? 0); m++)
            {
                V1VolumeMount mount = c.VolumeMounts![m];
                if (!string.IsNullOrEmpty(mount.SubPath))
                {
                    yield return new FieldError(FieldErrorType.Forbidden, $"{at}.volumeMounts[{m}].subPath", null, NotForEphemeral);
                }

                if (!string.IsNullOrEmpty(mount.SubPathExpr))
                {
                    yield return new FieldError(FieldErrorType.Forbidden, $"{at}.volumeMounts[{m}].subPathExpr", null, NotForEphemeral);
                }
            }
        }
    }

    private static IEnumerable<string> DisallowedFieldsSet(V1EphemeralContainer c)
    {
        if (c.Ports is { Count: > 0 })
        {
            yield return "ports";
        }

        if (c.Resources is { } r && (r.Limits is { Count: > 0 } || r.Requests is { Count: > 0 } || r.Claims is { Count: > 0 }))
        {
            yield return "resources";
        }

        if (c.ResizePolicy is { Count: > 0 })
        {
            yield return "resizePolicy";
        }

        if (c.RestartPolicy is not null)
        {
            yield return "restartPolicy";
        }

        if (c.RestartPolicyRules is { Count: > 0 })
        {
            yield return "restartPolicyRules";
        }

        if (c.LivenessProbe is not null)
        {
            yield return "livenessProbe";
        }

        if (c.ReadinessProbe is not null)
        {
            yield return "readinessProbe";
        }

        if (c.StartupProbe is not null)
        {
            yield return "startupProbe";
        }

        if (c.Lifecycle is not null)
        {
            yield return "lifecycle";
        }
    }
}
