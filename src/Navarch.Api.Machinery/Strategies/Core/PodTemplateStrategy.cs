using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 PodTemplate: a stored pod template, defaulted and validated as a pod's spec is.</summary>
internal static class PodTemplateStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1PodTemplate> Create() => new()
    {
        Defaults = t => PodSpecDefaults.Apply(t.Template?.Spec),
        Validation = Validate,
        Columns =
        [
            new("Containers", "string", "", "Names of each container in the template."),
            new("Images", "string", "", "Images referenced by each container in the template."),
            new("Pod Labels", "string", "", "The labels for the pod template."),
        ],
        Cells = (t, _) =>
        [
            .. PodTemplateColumns.Cells(t.Template, null).Take(2),
            t.Template?.Metadata?.Labels is { Count: > 0 } labels ? string.Join(",", labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) : "<none>",
        ],
    };

    private static IEnumerable<FieldError> Validate(V1PodTemplate t)
    {
        if (t.Template is null)
        {
            yield return new FieldError(FieldErrorType.Required, "template", null, "");
            yield break;
        }

        foreach (FieldError e in MetadataValidation.ValidateLabels(t.Template.Metadata?.Labels, "template.metadata.labels"))
        {
            yield return e;
        }

        foreach (FieldError e in PodValidation.ValidateTemplateSpec(t.Template.Spec, "template.spec"))
        {
            yield return e;
        }
    }
}
