using k8s.Models;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Batch;

/// <summary>Kubernetes' <c>ValidateJob</c> and <c>ValidateJobSpecUpdate</c>.</summary>
internal static class JobValidation
{
    private static readonly SupportedValues RestartPolicies = new("OnFailure", "Never");

    /// <summary>A valid pod template whose pods do not restart in place.</summary>
    public static IEnumerable<FieldError> Validate(V1Job j) =>
        PodValidation.ValidateTemplateSpec(j.Spec?.Template?.Spec, "spec.template.spec").Concat(RestartPolicy(j.Spec?.Template?.Spec, "spec.template.spec"));

    /// <summary>A Job's pods (and a CronJob's) restart OnFailure or Never, not Always.</summary>
    public static IEnumerable<FieldError> RestartPolicy(V1PodSpec? spec, string path)
    {
        if (RestartPolicies.Check(path + ".restartPolicy", spec?.RestartPolicy ?? "") is { } error)
        {
            yield return error;
        }
    }

    /// <summary>
    /// The selector, template, completion mode and completions are fixed — except that a suspended Job that never
    /// started may change its pods' scheduling directives (node selector, affinity, tolerations, scheduling gates,
    /// labels and annotations), and an Indexed Job may change completions together with parallelism (elastic Indexed
    /// Jobs).
    /// </summary>
    public static IEnumerable<FieldError> ValidateUpdate(V1Job job, V1Job old)
    {
        foreach (FieldError error in LabelSelectorValidation.Immutable(job.Spec?.Selector, old.Spec?.Selector))
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
            yield return FieldValidation.Immutable("spec.template", null);
        }

        if (spec.CompletionMode != before.CompletionMode)
        {
            yield return FieldValidation.Immutable("spec.completionMode", spec.CompletionMode);
        }

        if (spec.Completions != before.Completions && !(spec.CompletionMode == "Indexed" && spec.Completions == spec.Parallelism))
        {
            yield return FieldValidation.Immutable("spec.completions", spec.Completions);
        }
    }
}
