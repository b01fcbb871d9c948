using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api.Cel;

namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// A policy's <c>spec.variables</c> for one evaluation (k8s.io/apiserver admission/plugin/cel/composition.go): each
/// variable sees the ones declared before it, is evaluated at most once and only when an expression selects it
/// (<c>variables.name</c>); a variable that fails to compile or evaluate fails only the expressions that read it, with
/// Kubernetes' "composited variable" wording.
/// </summary>
internal sealed class VariableComposition
{
    private const string VariablesName = "variables";

    private readonly IReadOnlyList<V1Variable> _declared;
    private readonly string[] _inputNames;
    private readonly Dictionary<string, JsonNode?> _inputs;
    private readonly Dictionary<string, (JsonNode? Value, string? Error)> _evaluated = new(StringComparer.Ordinal);
    private readonly string[] _names;

    /// <param name="declared">The policy's variables, in order.</param>
    /// <param name="inputNames">The variables expressions may reference (<see cref="AdmissionCel.PolicyVariables"/> or fewer).</param>
    /// <param name="inputs">Their values for this request and parameter.</param>
    /// <param name="budget">
    /// What the evaluations spend; a variable's cost counts in the expression that first reads it (cel-go's lazy
    /// composition). Null: one <see cref="CelCostBudget.PerObjectLimit"/> budget for this evaluation of the policy.
    /// </param>
    public VariableComposition(IReadOnlyList<V1Variable>? declared, string[] inputNames, Dictionary<string, JsonNode?> inputs, CelCostBudget? budget = null)
    {
        Budget = budget ?? new CelCostBudget(CelCostBudget.PerObjectLimit);
        _declared = declared ?? [];
        _inputNames = inputNames;
        _inputs = inputs;
        _names = _declared.Select(v => v.Name).ToArray();
    }

    /// <summary>The request's variables (object, oldObject, request, params, namespaceObject), without composition.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs => _inputs;

    /// <summary>The budget evaluations spend from now on.</summary>
    public CelCostBudget Budget { get; set; }

    /// <summary>Compiles an expression that may read every variable.</summary>
    public (CelProgram? Program, string? Error) Compile(string expression) => AdmissionCel.Compile(expression, _inputNames, _names);

    /// <summary>Evaluates <paramref name="program"/> with the variables it selects evaluated first.</summary>
    public CelEvaluation Evaluate(CelProgram program)
    {
        var values = new JsonObject();
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in program.CompositedReferences)
        {
            (JsonNode? value, string? error) = Resolve(name);
            if (error is null)
            {
                values[name] = value?.DeepClone();
            }
            else
            {
                failed[name] = error;
            }
        }

        var bound = new Dictionary<string, JsonNode?>(_inputs, StringComparer.Ordinal) { [VariablesName] = values };
        CelEvaluation result = program.Evaluate(bound, Budget);

        // A failed variable is left out of the map, so reading it fails as a missing key; the error is then the
        // variable's own. Expressions that never reach it (short-circuits) are unaffected, as with cel-go's lazy map.
        return !result.Succeeded && result.Error is { } error2 && error2.StartsWith("no such key: ", StringComparison.Ordinal)
            && failed.TryGetValue(error2["no such key: ".Length..], out string? variableError)
            ? new CelEvaluation(null, variableError)
            : result;
    }

    private (JsonNode? Value, string? Error) Resolve(string name)
    {
        if (_evaluated.TryGetValue(name, out var known))
        {
            return known;
        }

        int index = Array.IndexOf(_names, name);
        (JsonNode?, string?) outcome;
        if (index < 0)
        {
            outcome = (null, $"composited variable \"{name}\" fails to evaluate: no such key: {name}");
        }
        else
        {
            (CelProgram? program, string? compileError) = AdmissionCel.Compile(_declared[index].Expression, _inputNames, _names[..index]);
            if (program is null)
            {
                outcome = (null, $"composited variable \"{name}\" fails to compile: compilation failed: {compileError}");
            }
            else
            {
                CelEvaluation result = Evaluate(program);
                outcome = result.Succeeded ? (result.Value, null) : (null, $"composited variable \"{name}\" fails to evaluate: {result.Error}");
            }
        }

        _evaluated[name] = outcome;
        return outcome;
    }
}
