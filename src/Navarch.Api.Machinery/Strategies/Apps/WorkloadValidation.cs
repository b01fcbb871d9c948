using k8s.Models;
using Navarch.Api.Selectors;
using Navarch.Api.Strategies.Core;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Apps;

/// <summary>
/// The rules every apps/v1 workload shares (Kubernetes' <c>ValidatePodTemplateSpecForReplicaSet</c> and the replica
/// and selector checks of each workload's spec).
/// </summary>
internal static class WorkloadValidation
{
    /// <summary>Replicas not negative; a non-empty selector that matches the template's labels; a valid template.</summary>
    public static IEnumerable<FieldError> ValidateSpec(V1LabelSelector? selector, V1PodTemplateSpec? template, int? replicas)
    {
        if (replicas is { } count && FieldValidation.NonNegative("spec.replicas", count) is { } badReplicas)
        {
            yield return badReplicas;
        }

        if (selector is null)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.selector", null, "");
        }
        else if ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.selector", "", "empty selector is invalid for deployment");
        }
        else if (template is not null && !selector.Matches(template.Metadata?.Labels))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.template.metadata.labels", new GoLiteral(FormatLabels(template.Metadata?.Labels)), "`selector` does not match template `labels`");
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

            foreach (FieldError e in PodValidation.ValidateTemplateSpec(template.Spec, "spec.template.spec"))
            {
                yield return e;
            }
        }
    }

    /// <summary>A label map as Go prints it in the error: <c>map[string]string{"app":"web"}</c>.</summary>
    private static string FormatLabels(IDictionary<string, string>? labels) =>
        "map[string]string{" + string.Join(", ", (labels ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"\"{kv.Key}\":\"{kv.Value}\"")) + "}";
}
