using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.AdmissionRegistration;

/// <summary>admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding.</summary>
internal static class ValidatingAdmissionPolicyBindingStrategy
{
    private static readonly SupportedValues Actions = new("Audit", "Deny", "Warn");
    private static readonly SupportedValues NotFoundActions = new("Allow", "Deny");

    /// <summary>The strategy: v1 defaults and Kubernetes' rules for policyName, validationActions and paramRef.</summary>
    public static ResourceStrategy<V1ValidatingAdmissionPolicyBinding> Create() => new()
    {
        Defaults = b => ValidatingAdmissionPolicyStrategy.MatchResourcesDefaults(b.Spec?.MatchResources),
        Validation = Validate,
    };

    private static IEnumerable<FieldError> Validate(V1ValidatingAdmissionPolicyBinding binding)
    {
        V1ValidatingAdmissionPolicyBindingSpec? spec = binding.Spec;
        if (string.IsNullOrEmpty(spec?.PolicyName))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.policyName", null, "");
        }

        IList<string> actions = spec?.ValidationActions ?? [];
        if (actions.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.validationActions", null, "at least one validation action is required");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < actions.Count; i++)
        {
            if (!seen.Add(actions[i]))
            {
                yield return new FieldError(FieldErrorType.Duplicate, $"spec.validationActions[{i}]", actions[i], "");
            }
            else if (Actions.Check($"spec.validationActions[{i}]", actions[i]) is { } error)
            {
                yield return error;
            }
        }

        if (seen.Contains("Deny") && seen.Contains("Warn"))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.validationActions", WebhookValidation.GoSlice("admissionregistration.ValidationAction", actions), "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)");
        }

        if (spec?.ParamRef is { } paramRef)
        {
            if (string.IsNullOrEmpty(paramRef.Name) == (paramRef.Selector is null))
            {
                yield return new FieldError(FieldErrorType.Invalid, "spec.paramRef", paramRef.Name, "one of name or selector must be specified");
            }

            if (paramRef.ParameterNotFoundAction is null)
            {
                yield return new FieldError(FieldErrorType.Required, "spec.paramRef.parameterNotFoundAction", null, "");
            }
            else if (NotFoundActions.Check("spec.paramRef.parameterNotFoundAction", paramRef.ParameterNotFoundAction) is { } error)
            {
                yield return error;
            }
        }
    }
}
