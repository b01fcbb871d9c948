using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.ApiServer.Admission.Policies;

namespace Navarch.ApiServer.Tests.Admission.Policies;

/// <summary>
/// The runtime cost limits of one ValidatingAdmissionPolicy evaluation (validator.go, filter.go): one expression may
/// spend PerCallLimit (1,000,000) and is then an evaluation error; all the expressions of one evaluation share
/// RuntimeCELCostBudget (10,000,000), past which the evaluation is one error that failurePolicy acts on.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PolicyCostBudgetTests
{
    /// <summary>A 500,000-character value: each string function reading it costs 50,001 (cel-go's traversal cost of a string is a tenth of its length).</summary>
    public const int BigLength = 500_000;

    /// <summary>An expression of <paramref name="calls"/> string calls over the big value, about 50,000 each; true.</summary>
    public static string Costly(int calls) => string.Join(" + ", Enumerable.Repeat("object.data.big.indexOf('z')", calls)) + $" == -{calls}";

    [Fact]
    public void An_expression_past_the_call_limit_is_an_evaluation_error_and_the_others_still_run()
    {
        // 21 calls: about 1,050,000.
        PolicyValidation result = PolicyValidation.Validate(Spec("Fail", Costly(21), "object.metadata.name != 'x'"), Composition(name: "x"));

        Assert.Collection(
            result.Failures,
            f => Assert.Equal((0, $"expression '{Costly(21)}' resulted in error: operation cancelled: actual cost limit exceeded", (string?)null), (f.Index, f.Message, f.Reason)),
            f => Assert.Equal((1, "failed expression: object.metadata.name != 'x'", (string?)"Invalid"), (f.Index, f.Message, f.Reason)));
    }

    [Fact]
    public void Expressions_that_together_exceed_the_evaluation_budget_end_it_with_one_error()
    {
        // 18 calls: about 900,000 per expression, under the call limit; eleven stay under 10,000,000, twelve do not.
        string[] expressions = [.. Enumerable.Repeat(Costly(18), 12)];

        PolicyValidation closed = PolicyValidation.Validate(Spec("Fail", expressions), Composition());
        PolicyValidation open = PolicyValidation.Validate(Spec("Ignore", expressions), Composition());
        PolicyValidation eleven = PolicyValidation.Validate(Spec("Fail", [.. expressions.Take(11)]), Composition());

        PolicyFailure failure = Assert.Single(closed.Failures);
        Assert.Equal("validation failed due to running out of cost budget, no further validation rules will be run", failure.Message);
        Assert.Null(failure.Reason);
        Assert.Empty(open.Failures);
        Assert.Empty(eleven.Failures);
    }

    private static V1ValidatingAdmissionPolicySpec Spec(string failurePolicy, params string[] expressions) => new()
    {
        FailurePolicy = failurePolicy,
        Validations = [.. expressions.Select(e => new V1Validation { Expression = e })],
    };

    private static VariableComposition Composition(string name = "cm")
    {
        var data = new JsonObject { ["big"] = new string('a', BigLength) };
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["object"] = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data },
            ["oldObject"] = null,
            ["request"] = new JsonObject { ["operation"] = "CREATE" },
            ["params"] = null,
            ["namespaceObject"] = null,
        };
        return new VariableComposition(null, AdmissionCel.PolicyVariables, inputs);
    }
}
