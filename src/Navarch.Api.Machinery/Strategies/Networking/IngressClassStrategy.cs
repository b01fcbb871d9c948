using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Networking;

/// <summary>networking.k8s.io/v1 IngressClass.</summary>
internal static class IngressClassStrategy
{
    /// <summary>The strategy: a controller name (at most 250 bytes) that never changes.</summary>
    public static ResourceStrategy<V1IngressClass> Create() => new()
    {
        Validation = Validate,
        UpdateValidation = (ingressClass, old) => ingressClass.Spec?.Controller == old.Spec?.Controller
            ? []
            : [FieldValidation.Immutable("spec.controller", ingressClass.Spec?.Controller)],
    };

    private static IEnumerable<FieldError> Validate(V1IngressClass ingressClass)
    {
        if (string.IsNullOrEmpty(ingressClass.Spec?.Controller))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.controller", null, "");
        }
        else if (ingressClass.Spec.Controller.Length > 250)
        {
            yield return new FieldError(FieldErrorType.TooLong, "spec.controller", ingressClass.Spec.Controller, "may not be more than 250 bytes");
        }
    }
}
