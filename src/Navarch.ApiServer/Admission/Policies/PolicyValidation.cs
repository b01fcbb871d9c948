using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api.Cel;

namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// One policy evaluated for one request and parameter (k8s.io/apiserver policy/validating/validator.go): the
/// matchConditions, then each validation — false is a failure with its message, an error a failure only under
/// failurePolicy Fail — then the auditAnnotations' values. The validations share one
/// <see cref="CelCostBudget.PerObjectLimit"/> budget (each expression at most <see cref="CelCostBudget.PerCallLimit"/>);
/// the messageExpressions and the auditAnnotations each get what the validations left. Running out of it ends the
/// evaluation with Kubernetes' one error, which failurePolicy then acts on.
/// </summary>
internal sealed record PolicyValidation(IReadOnlyList<PolicyFailure> Failures, IReadOnlyList<PolicyAuditAnnotation> AuditAnnotations)
{
    // celconfig.MaxEvaluatedMessageExpressionSizeBytes and the dispatcher's maxAuditAnnotationValueLength.
    private const int MaxMessageBytes = 5 * 1024;
    private const int MaxAuditAnnotationValueLength = 10 * 1024;

    private static readonly PolicyValidation None = new([], []);

    /// <summary>Evaluates <paramref name="spec"/> with <paramref name="composition"/>'s inputs and variables.</summary>
    public static PolicyValidation Validate(V1ValidatingAdmissionPolicySpec spec, VariableComposition composition)
    {
        bool failClosed = spec.FailurePolicy != "Ignore";
        if (spec.MatchConditions is { Count: > 0 } conditions)
        {
            (bool matches, string? error) = AdmissionCel.MatchConditions(conditions.Select(c => (c.Name, c.Expression)), AdmissionCel.PolicyVariables, composition.Inputs);
            if (error is not null)
            {
                return failClosed ? new PolicyValidation([new PolicyFailure(0, error, null)], []) : None;
            }

            if (!matches)
            {
                return None;
            }
        }

        var failures = new List<PolicyFailure>();
        var falseValidations = new List<int>();
        IList<V1Validation> validations = spec.Validations ?? [];
        for (int i = 0; i < validations.Count; i++)
        {
            V1Validation validation = validations[i];
            (CelEvaluation? result, string? error) = Run(validation.Expression, composition);
            if (composition.Budget.LimitExceeded)
            {
                return OutOfBudgetResult(failClosed);
            }

            if (error is not null)
            {
                if (failClosed)
                {
                    failures.Add(new PolicyFailure(i, error, null));
                }
            }
            else if (result!.AsBool != true)
            {
                falseValidations.Add(i);
            }
        }

        // validator.go hands the budget the validations left to the messageExpressions, and the same amount again to
        // the auditAnnotations.
        long remaining = composition.Budget.Remaining;
        composition.Budget = new CelCostBudget(remaining);
        var messages = falseValidations.Select(i => (Index: i, Message: Message(validations[i], composition))).ToList();
        if (composition.Budget.LimitExceeded)
        {
            return OutOfBudgetResult(failClosed);
        }

        foreach ((int index, string message) in messages)
        {
            string? reason = validations[index].Reason;
            failures.Add(new PolicyFailure(index, message, string.IsNullOrEmpty(reason) ? "Invalid" : reason));
        }

        composition.Budget = new CelCostBudget(remaining);
        var annotations = (spec.AuditAnnotations ?? []).Select(a => AuditAnnotation(a, composition, failClosed)).ToList();
        return composition.Budget.LimitExceeded ? OutOfBudgetResult(failClosed) : new PolicyValidation(failures, annotations);
    }

    private static PolicyValidation OutOfBudgetResult(bool failClosed) =>
        failClosed ? new PolicyValidation([new PolicyFailure(0, AdmissionCel.OutOfBudget, null)], []) : None;

    /// <summary>Compiles and evaluates; the error as Kubernetes' activation words it.</summary>
    private static (CelEvaluation? Result, string? Error) Run(string expression, VariableComposition composition)
    {
        (CelProgram? program, string? compileError) = composition.Compile(expression);
        if (program is null)
        {
            return (null, $"compilation error: compilation failed: {compileError}");
        }

        CelEvaluation result = composition.Evaluate(program);
        return result.Succeeded ? (result, null) : (null, $"expression '{expression}' resulted in error: {result.Error}");
    }

    /// <summary>The message of a failed validation: a usable messageExpression result, else message, else the expression.</summary>
    private static string Message(V1Validation validation, VariableComposition composition)
    {
        if (!string.IsNullOrWhiteSpace(validation.MessageExpression)
            && Run(validation.MessageExpression, composition).Result?.AsString?.Trim() is { Length: > 0 } expressed
            && Encoding.UTF8.GetByteCount(expressed) <= MaxMessageBytes && !expressed.Contains('\n', StringComparison.Ordinal))
        {
            return expressed;
        }

        return !string.IsNullOrWhiteSpace(validation.Message) ? validation.Message.Trim() : $"failed expression: {validation.Expression.Trim()}";
    }

    private static PolicyAuditAnnotation AuditAnnotation(V1AuditAnnotation annotation, VariableComposition composition, bool failClosed)
    {
        (CelEvaluation? result, string? error) = Run(annotation.ValueExpression, composition);
        if (error is null)
        {
            switch (result!.Value)
            {
                case null:
                    return new PolicyAuditAnnotation(annotation.Key, null, null);
                case JsonValue v when v.TryGetValue(out string? text):
                    text = text.Trim();
                    return new PolicyAuditAnnotation(annotation.Key, text.Length == 0 ? null : text[..Math.Min(text.Length, MaxAuditAnnotationValueLength)], null);
                default:
                    error = $"valueExpression '{annotation.ValueExpression}' resulted in unsupported return type: {CelTypeName(result.Value)}. Return type must be either string or null.";
                    break;
            }
        }

        return new PolicyAuditAnnotation(annotation.Key, null, failClosed ? error : null);
    }

    // cel-go's names of the types a JSON value comes back as.
    private static string CelTypeName(JsonNode value) => value switch
    {
        JsonObject => "map",
        JsonArray => "list",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.True or JsonValueKind.False => "bool",
            JsonValueKind.Number => value.ToJsonString().Any(c => c is '.' or 'e' or 'E') ? "double" : "int",
            _ => "dyn",
        },
    };
}
