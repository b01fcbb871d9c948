using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.AdmissionRegistration;

/// <summary>admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (status kept by the server, not the client).</summary>
internal static class ValidatingAdmissionPolicyStrategy
{
    private static readonly SupportedValues FailurePolicies = new("Fail", "Ignore");
    private static readonly SupportedValues Reasons = new("Forbidden", "Invalid", "RequestEntityTooLarge");

    /// <summary>The strategy: v1 defaults and the spec's structural rules (CEL is compiled when the policy is enforced).</summary>
    public static ResourceStrategy<V1ValidatingAdmissionPolicy> Create() => new()
    {
        HasStatus = true,
        Defaults = p =>
        {
            if (p.Spec is not null)
            {
                p.Spec.FailurePolicy ??= "Fail";
                MatchResourcesDefaults(p.Spec.MatchConstraints);
            }
        },
        Validation = Validate,
    };

    /// <summary>The v1 defaults of a MatchResources (policies' matchConstraints and bindings' matchResources).</summary>
    public static void MatchResourcesDefaults(V1MatchResources? match)
    {
        if (match is null)
        {
            return;
        }

        match.MatchPolicy ??= "Equivalent";
        match.NamespaceSelector ??= new V1LabelSelector();
        match.ObjectSelector ??= new V1LabelSelector();
        foreach (V1NamedRuleWithOperations rule in (match.ResourceRules ?? []).Concat(match.ExcludeResourceRules ?? []))
        {
            rule.Scope ??= "*";
        }
    }

    private static IEnumerable<FieldError> Validate(V1ValidatingAdmissionPolicy policy)
    {
        V1ValidatingAdmissionPolicySpec? spec = policy.Spec;
        if (spec?.FailurePolicy is null)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.failurePolicy", null, "");
        }
        else if (FailurePolicies.Check("spec.failurePolicy", spec.FailurePolicy) is { } failure)
        {
            yield return failure;
        }

        if (spec?.ParamKind is { } paramKind)
        {
            if (string.IsNullOrEmpty(paramKind.ApiVersion))
            {
                yield return new FieldError(FieldErrorType.Required, "spec.paramKind.apiVersion", null, "");
            }

            if (string.IsNullOrEmpty(paramKind.Kind))
            {
                yield return new FieldError(FieldErrorType.Required, "spec.paramKind.kind", null, "");
            }
        }

        if (spec?.MatchConstraints is null)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.matchConstraints", null, "");
        }
        else if ((spec.MatchConstraints.ResourceRules ?? []).Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.matchConstraints.resourceRules", null, "");
        }

        if ((spec?.Validations ?? []).Count == 0 && (spec?.AuditAnnotations ?? []).Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.validations", null, "validations or auditAnnotations must contain at least one item");
        }

        // params is declared only when the policy has a paramKind, so a reference to it without one does not compile.
        string[] variables = spec?.ParamKind is null
            ? ["object", "oldObject", "request", "namespaceObject", "authorizer", "variables"]
            : ["object", "oldObject", "request", "params", "namespaceObject", "authorizer", "variables"];
        for (int i = 0; i < (spec?.Validations?.Count ?? 0); i++)
        {
            V1Validation validation = spec!.Validations![i];
            if (string.IsNullOrWhiteSpace(validation.Expression))
            {
                yield return new FieldError(FieldErrorType.Required, $"spec.validations[{i}].expression", null, "");
            }
            else if (WebhookValidation.CompileError(validation.Expression, variables) is { } error)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.validations[{i}].expression", validation.Expression, error);
            }

            if (!string.IsNullOrWhiteSpace(validation.MessageExpression) && WebhookValidation.CompileError(validation.MessageExpression, variables) is { } messageError)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.validations[{i}].messageExpression", validation.MessageExpression, messageError);
            }

            if (validation.Reason is { } reason && Reasons.Check($"spec.validations[{i}].reason", reason) is { } reasonError)
            {
                yield return reasonError;
            }
        }

        foreach (FieldError error in WebhookValidation.MatchConditionList(spec?.MatchConditions, "spec.matchConditions", variables))
        {
            yield return error;
        }
    }
}
