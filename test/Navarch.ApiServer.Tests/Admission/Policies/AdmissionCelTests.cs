using System.Text.Json.Nodes;
using Navarch.ApiServer.Admission.Policies;

namespace Navarch.ApiServer.Tests.Admission.Policies;

/// <summary>The CEL admission expressions over JSON objects, and the match-condition rules (false beats errors).</summary>
[Trait("Category", "Unit")]
public sealed class AdmissionCelTests
{
    private static readonly Dictionary<string, JsonNode?> Variables = new(StringComparer.Ordinal)
    {
        ["object"] = JsonNode.Parse("""{"metadata":{"name":"n","labels":{"case":"pick"}},"data":{"evil":"x"}}"""),
        ["oldObject"] = null,
        ["request"] = JsonNode.Parse("""{"operation":"CREATE"}"""),
        ["params"] = JsonNode.Parse("""{"data":{"forbidden":"evil"}}"""),
    };

    [Theory]
    [InlineData("has(object.metadata.labels) && 'case' in object.metadata.labels && object.metadata.labels['case'] == 'pick'", true)]
    [InlineData("!has(object.data) || !(params.data.forbidden in object.data)", false)]
    [InlineData("object.metadata.name != 'plain'", true)]
    [InlineData("request.operation == 'CREATE'", true)]
    public void Expressions_evaluate_over_the_request(string expression, bool expected)
    {
        (var program, string? error) = AdmissionCel.Compile(expression, AdmissionCel.PolicyVariables);
        Assert.True(program is not null, error);
        var result = program!.Evaluate(Variables);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(expected, result.AsBool);
    }

    [Fact]
    public void A_messageExpression_builds_its_text() =>
        Assert.Equal("key evil is not allowed", AdmissionCel.Compile("'key ' + params.data.forbidden + ' is not allowed'", AdmissionCel.PolicyVariables).Program!.Evaluate(Variables).AsString);

    [Fact]
    public void A_false_condition_wins_over_an_error()
    {
        Assert.Equal((false, null), AdmissionCel.MatchConditions([("err", "object.missing.x == 1"), ("no", "false")], AdmissionCel.PolicyVariables, Variables));
        (bool matches, string? error) = AdmissionCel.MatchConditions([("err", "object.missing.x == 1"), ("yes", "true")], AdmissionCel.PolicyVariables, Variables);
        Assert.False(matches);
        Assert.NotNull(error);
    }

    [Fact]
    public void Params_do_not_compile_for_a_policy_without_a_paramKind() =>
        Assert.False(Navarch.Api.Cel.CelProgram.TryCompile("params.x == 1", ["object", "oldObject", "request", "namespaceObject", "authorizer", "variables"], out _, out _));
}
