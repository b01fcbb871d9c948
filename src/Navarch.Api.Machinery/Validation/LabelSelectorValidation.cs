using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Api.Validation;

/// <summary>The rules on <c>spec.selector</c> that workloads and Jobs share.</summary>
internal static class LabelSelectorValidation
{
    /// <summary>A controller's selector never changes once created.</summary>
    public static IEnumerable<FieldError> Immutable(V1LabelSelector? now, V1LabelSelector? old)
    {
        if (!KubernetesSerialization.JsonEquals(now, old))
        {
            yield return FieldValidation.Immutable("spec.selector", now?.Format());
        }
    }
}
