using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.AdmissionRegistration;

/// <summary>admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (status kept by the server, not the client).</summary>
internal static class ValidatingAdmissionPolicyStrategy
{
    private static readonly SupportedValues FailurePolicies = new("Fail", "Ignore");
    private static readonly SupportedValues Reasons = new("Forbidden", "Invalid", "RequestEntityTooLarge");

    // validation.go's maxAuditAnnotations and maxAuditAnnotationValueExpressionLength.
    private const int MaxAuditAnnotations = 20;
    private const int MaxAuditAnnotationValueExpressionLength = 5 * 1024;

    private static readonly HashSet<string> CelReserved = new(StringComparer.Ordinal)
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while",
    };

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

        // params is declared only when the policy has a paramKind, so a reference to it without one does not compile;
        // `variables` selects the spec's variables, each of which sees only those declared before it.
        string[] variables = spec?.ParamKind is null
            ? ["object", "oldObject", "request", "namespaceObject", "authorizer", "variables"]
            : ["object", "oldObject", "request", "params", "namespaceObject", "authorizer", "variables"];
        var composited = new List<string>();
        for (int i = 0; i < (spec?.Variables?.Count ?? 0); i++)
        {
            V1Variable variable = spec!.Variables![i];
            if (string.IsNullOrWhiteSpace(variable.Name))
            {
                yield return new FieldError(FieldErrorType.Required, $"spec.variables[{i}].name", null, "name is not specified");
            }
            else if (!IsCelIdentifier(variable.Name))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.variables[{i}].name", variable.Name, "name is not a valid CEL identifier");
            }

            if (string.IsNullOrWhiteSpace(variable.Expression))
            {
                yield return new FieldError(FieldErrorType.Required, $"spec.variables[{i}].expression", null, "expression is not specified");
            }
            else if (WebhookValidation.CompileError(variable.Expression, variables, composited) is { } error)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.variables[{i}].expression", variable.Expression, error);
            }

            composited.Add(variable.Name ?? "");
        }

        if ((spec?.Validations ?? []).Count == 0 && (spec?.AuditAnnotations ?? []).Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.validations", null, "validations or auditAnnotations must contain at least one item");
            yield return new FieldError(FieldErrorType.Required, "spec.auditAnnotations", null, "validations or auditAnnotations must contain at least one item");
        }

        for (int i = 0; i < (spec?.Validations?.Count ?? 0); i++)
        {
            V1Validation validation = spec!.Validations![i];
            if (string.IsNullOrWhiteSpace(validation.Expression))
            {
                yield return new FieldError(FieldErrorType.Required, $"spec.validations[{i}].expression", null, "expression is not specified");
            }
            else if (WebhookValidation.CompileError(validation.Expression, variables, composited) is { } error)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.validations[{i}].expression", validation.Expression, error);
            }

            if (!string.IsNullOrEmpty(validation.MessageExpression) && string.IsNullOrWhiteSpace(validation.MessageExpression))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.validations[{i}].messageExpression", validation.MessageExpression, "must be non-empty if specified");
            }
            else if (!string.IsNullOrWhiteSpace(validation.MessageExpression) && WebhookValidation.CompileError(validation.MessageExpression, variables, composited) is { } messageError)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.validations[{i}].messageExpression", validation.MessageExpression, messageError);
            }

            if (!string.IsNullOrEmpty(validation.Message) && string.IsNullOrWhiteSpace(validation.Message))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.validations[{i}].message", validation.Message, "message must be non-empty if specified");
            }
            else if (validation.Message?.Trim().IndexOfAny(['\n', '\r']) >= 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.validations[{i}].message", validation.Message, "message must not contain line breaks");
            }

            if (validation.Reason is { } reason && Reasons.Check($"spec.validations[{i}].reason", reason) is { } reasonError)
            {
                yield return reasonError;
            }
        }

        foreach (FieldError error in AuditAnnotationErrors(policy.Metadata?.Name, spec?.AuditAnnotations, variables, composited))
        {
            yield return error;
        }

        // matchConditions compile without composition (Kubernetes' stateless compiler): `variables` is not declared there.
        foreach (FieldError error in WebhookValidation.MatchConditionList(spec?.MatchConditions, "spec.matchConditions", variables[..^1]))
        {
            yield return error;
        }
    }

    /// <summary>auditAnnotations: at most 20, unique keys that make a qualified name after the policy's name, a valueExpression each.</summary>
    private static IEnumerable<FieldError> AuditAnnotationErrors(string? policyName, IList<V1AuditAnnotation>? annotations, string[] variables, IReadOnlyCollection<string> composited)
    {
        annotations ??= [];
        if (annotations.Count > MaxAuditAnnotations)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.auditAnnotations", null, $"must not have more than {MaxAuditAnnotations} auditAnnotations");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < annotations.Count; i++)
        {
            V1AuditAnnotation annotation = annotations[i];
            string path = $"spec.auditAnnotations[{i}]";
            if (string.IsNullOrEmpty(policyName))
            {
                yield return new FieldError(FieldErrorType.Invalid, path + ".key", annotation.Key, "requires metadata.name be non-empty");
            }
            else
            {
                string qualified = policyName + "/" + annotation.Key;
                foreach (string problem in MetadataValidation.QualifiedNameProblems(qualified))
                {
                    yield return new FieldError(FieldErrorType.Invalid, path + ".key", qualified, problem);
                }
            }

            string value = annotation.ValueExpression?.Trim() ?? "";
            if (value.Length == 0)
            {
                yield return new FieldError(FieldErrorType.Required, path + ".valueExpression", null, "valueExpression is not specified");
            }
            else if (value.Length > MaxAuditAnnotationValueExpressionLength)
            {
                yield return new FieldError(FieldErrorType.Required, path + ".valueExpression", null, $"must not exceed {MaxAuditAnnotationValueExpressionLength} bytes in length");
            }
            else if (WebhookValidation.CompileError(value, variables, composited) is { } error)
            {
                yield return new FieldError(FieldErrorType.Invalid, path + ".valueExpression", annotation.ValueExpression, error);
            }

            if (!keys.Add(annotation.Key ?? ""))
            {
                yield return new FieldError(FieldErrorType.Duplicate, path + ".key", annotation.Key, "");
            }
        }
    }

    // cel-go's IDENT minus its reserved words.
    private static bool IsCelIdentifier(string name) =>
        (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !CelReserved.Contains(name);
}
