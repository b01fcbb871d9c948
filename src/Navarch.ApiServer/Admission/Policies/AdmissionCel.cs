using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Cel;
using Navarch.ApiServer.Admission.Webhooks;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// CEL in admission (k8s.io/apiserver's admission/plugin/cel): expressions compiled once per text and variable set
/// (configurations are read far more often than they change), and the variables an admission request gives them —
/// <c>object</c>, <c>oldObject</c>, <c>request</c>, and for policies <c>params</c> and <c>namespaceObject</c>.
/// </summary>
internal static class AdmissionCel
{
    /// <summary>What webhook matchConditions may reference.</summary>
    public static readonly string[] MatchConditionVariables = ["object", "oldObject", "request", "authorizer"];

    /// <summary>What ValidatingAdmissionPolicy expressions may reference.</summary>
    public static readonly string[] PolicyVariables = ["object", "oldObject", "request", "params", "namespaceObject", "authorizer", "variables"];

    /// <summary>The CEL filter's error when an expression costs more than what is left of the evaluation's budget.</summary>
    public const string OutOfBudget = "validation failed due to running out of cost budget, no further validation rules will be run";

    private static readonly ConcurrentDictionary<string, (CelProgram? Program, string? Error)> Compiled = new(StringComparer.Ordinal);

    /// <summary>
    /// The compiled <paramref name="expression"/>, or its compile error; with <paramref name="composited"/>, the policy
    /// variables <c>variables.name</c> may select.
    /// </summary>
    public static (CelProgram? Program, string? Error) Compile(string expression, string[] variables, IReadOnlyCollection<string>? composited = null) =>
        Compiled.GetOrAdd(string.Join(',', variables) + "\n" + (composited is null ? "-" : string.Join(',', composited)) + "\n" + expression, _ =>
            CelProgram.TryCompile(expression, variables, composited, out CelProgram? program, out string? error) ? (program, null) : (null, error));

    /// <summary>
    /// The variables of <paramref name="request"/> as matched on <paramref name="resource"/>: under matchPolicy
    /// Equivalent another version of the requested resource, whose objects are converted to it first (apiserver's
    /// VersionedAttributes), and <c>request.kind</c>/<c>request.resource</c> name it.
    /// </summary>
    public static async ValueTask<Dictionary<string, JsonNode?>> VariablesAsync(AdmissionRequest request, ResourceDefinition resource, CancellationToken cancellationToken)
    {
        (IKubernetesObject<V1ObjectMeta>? obj, IKubernetesObject<V1ObjectMeta>? old) = await EquivalentVersions.OfAsync(request, resource, cancellationToken);
        JsonObject review = AdmissionReview.Request("", request, resource, obj, old);
        JsonObject body = review["request"]!.AsObject();
        return new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["object"] = body["object"]?.DeepClone(),
            ["oldObject"] = body["oldObject"]?.DeepClone(),
            ["request"] = body,
        };
    }

    /// <summary>
    /// Kubernetes' match-condition matcher (webhook/matchconditions, over the CEL filter): every condition is evaluated,
    /// all of them within one <see cref="CelCostBudget.MatchConditionsLimit"/> budget (each at most
    /// <see cref="CelCostBudget.PerCallLimit"/>). Running out of that budget is the filter's error whatever the
    /// conditions gave; otherwise a false condition wins over errors (no match), and the errors are returned together
    /// (as utilerrors' aggregate prints them) for the caller's failure policy.
    /// </summary>
    public static (bool Matches, string? Error) MatchConditions(IEnumerable<(string Name, string Expression)> conditions, string[] declared, IReadOnlyDictionary<string, JsonNode?> variables)
    {
        var budget = new CelCostBudget(CelCostBudget.MatchConditionsLimit);
        var errors = new List<string>();
        bool anyFalse = false;
        foreach ((string name, string expression) in conditions)
        {
            (CelProgram? program, string? compileError) = Compile(expression, declared);
            if (program is null)
            {
                errors.Add($"compilation failed for match condition '{name}': {compileError}");
                continue;
            }

            CelEvaluation result = program.Evaluate(variables, budget);
            if (budget.LimitExceeded)
            {
                return (false, OutOfBudget);
            }

            if (!result.Succeeded)
            {
                errors.Add($"expression '{expression}' resulted in error: {result.Error}");
            }
            else if (result.AsBool is null)
            {
                errors.Add($"matchCondition '{name}' must evaluate to bool");
            }
            else if (result.AsBool == false)
            {
                anyFalse = true;
            }
        }

        if (anyFalse)
        {
            return (false, null);
        }

        List<string> distinct = [.. errors.Distinct(StringComparer.Ordinal)];
        return distinct.Count switch
        {
            0 => (true, null),
            1 => (false, distinct[0]),
            _ => (false, "[" + string.Join(", ", distinct) + "]"),
        };
    }

    /// <summary>A <see cref="ObjectCodec"/> JSON copy of an object, for <c>params</c> and <c>namespaceObject</c>.</summary>
    public static JsonNode? ToNode(object? obj) => obj is null ? null : ObjectCodec.ToNode(obj);
}
