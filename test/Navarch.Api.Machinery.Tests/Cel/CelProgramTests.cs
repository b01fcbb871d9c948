using System.Text.Json.Nodes;
using Navarch.Api.Cel;

namespace Navarch.Api.Machinery.Tests.Cel;

[Trait("Category", "Unit")]
public sealed class CelProgramTests
{
    private const string Self = """
        {"replicas":3,"name":"Web-App","ratio":1.5,"enabled":true,"none":null,
         "items":[1,2,3],"tags":["b","a","c"],"labels":{"app":"web","tier":"front"},
         "ports":[{"name":"http","port":80},{"name":"https","port":443}]}
        """;

    public static TheoryData<string, string> Values => new()
    {
        // Arithmetic, comparison, logic on JSON ints, doubles, strings, bools and null.
        { "self.replicas <= 10", "true" },
        { "self.replicas + 1", "4" },
        { "self.replicas * 2 - 1", "5" },
        { "self.ratio > 1.0", "true" },
        { "self.ratio * 2.0", "3.0" },
        { "self.enabled && self.replicas > 2", "true" },
        { "self.none == null", "true" },
        { "self.replicas > 5 ? 'big' : 'small'", "\"small\"" },
        { "self.name + '-x'", "\"Web-App-x\"" },
        // size() on strings, lists and maps; as a function and as a method; always an int.
        { "size(self.name)", "7" },
        { "self.name.size()", "7" },
        { "self.items.size()", "3" },
        { "size(self.labels)", "2" },
        { "self.items.size() + 1", "4" },
        // has() and field selection on maps.
        { "has(self.replicas)", "true" },
        { "has(self.missing)", "false" },
        { "!has(self.missing) || self.missing > 1", "true" },
        { "self.labels.app", "\"web\"" },
        { "self.labels['tier']", "\"front\"" },
        { "'app' in self.labels", "true" },
        { "2 in self.items", "true" },
        { "self.ports[1].port", "443" },
        // Macros.
        { "self.items.all(x, x > 0)", "true" },
        { "self.items.exists(x, x > 2)", "true" },
        { "self.items.exists_one(x, x == 2)", "true" },
        { "self.items.map(x, x * 10)", "[10,20,30]" },
        { "self.items.filter(x, x > 1)", "[2,3]" },
        { "self.labels.all(k, k.size() > 2)", "true" },
        { "self.ports.all(p, p.port > 0 && p.name.size() > 0)", "true" },
        { "self.ports.map(p, p.name)", "[\"http\",\"https\"]" },
        // Strings.
        { "self.name.startsWith('Web')", "true" },
        { "self.name.endsWith('App')", "true" },
        { "self.name.contains('-')", "true" },
        { "self.name.matches('^[A-Z][a-z]+-[A-Za-z]+$')", "true" },
        { "matches(self.name, '^W')", "true" },
        { "self.tags.exists(t, t.matches('^c$'))", "true" },
        { "'a.matches(x)'.matches('matches')", "true" },
        { "self.name.lowerAscii()", "\"web-app\"" },
        { "self.name.upperAscii()", "\"WEB-APP\"" },
        { "' x '.trim()", "\"x\"" },
        { "self.name.replace('-', '_')", "\"Web_App\"" },
        { "'a,b,c'.replace(',', ';', 1)", "\"a;b,c\"" },
        { "'a,b,c'.split(',')", "[\"a\",\"b\",\"c\"]" },
        { "'a,b,c'.split(',', 2)", "[\"a\",\"b,c\"]" },
        { "self.name.indexOf('-')", "3" },
        { "self.name.lastIndexOf('p')", "6" },
        { "self.name.substring(4)", "\"App\"" },
        { "self.name.substring(0, 3)", "\"Web\"" },
        { "self.name.charAt(1)", "\"e\"" },
        { "self.tags.join(',')", "\"b,a,c\"" },
        { "self.tags.join()", "\"bac\"" },
        { "'abc123def'.find('[0-9]+')", "\"123\"" },
        { "'a1b22c333'.findAll('[0-9]+')", "[\"1\",\"22\",\"333\"]" },
        // Lists.
        { "self.items.isSorted()", "true" },
        { "self.tags.isSorted()", "false" },
        { "self.items.sum()", "6" },
        { "self.items.min()", "1" },
        { "self.tags.max()", "\"c\"" },
        { "self.tags.indexOf('a')", "1" },
        { "self.items == [1, 2, 3]", "true" },
        { "self.items + [4]", "[1,2,3,4]" },
        // Conversions.
        { "int('12') + 1", "13" },
        { "string(self.replicas)", "\"3\"" },
        { "double(self.replicas)", "3.0" },
        { "int(self.ratio)", "1" },
        { "type(self.replicas) == int", "true" },
        { "duration('1h') > duration('30m')", "true" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Evaluates_with_JSON_variables(string expression, string expected)
    {
        var program = CelProgram.Compile(expression, "self");

        var result = program.Evaluate(Vars(Self));

        Assert.True(result.Succeeded, result.Error);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result.Value), $"{expression} => {result.Value?.ToJsonString()}");
    }

    [Fact]
    public void Compiles_once_and_evaluates_many_times_with_other_values()
    {
        var program = CelProgram.Compile("self.replicas <= oldSelf.replicas", "self", "oldSelf");

        Assert.Equal(true, program.Evaluate(Vars("""{"replicas":2}""", """{"replicas":3}""")).AsBool);
        Assert.Equal(false, program.Evaluate(Vars("""{"replicas":4}""", """{"replicas":3}""")).AsBool);
    }

    [Fact]
    public void Variables_may_be_scalars_lists_or_null()
    {
        var program = CelProgram.Compile("self == null ? 'none' : string(self)", "self");

        Assert.Equal("none", program.Evaluate(new Dictionary<string, JsonNode?> { ["self"] = null }).AsString);
        Assert.Equal("7", program.Evaluate(new Dictionary<string, JsonNode?> { ["self"] = 7 }).AsString);
        Assert.Equal("x", program.Evaluate(new Dictionary<string, JsonNode?> { ["self"] = "x" }).AsString);
    }

    public static TheoryData<string, string> CompileErrors => new()
    {
        { "self.replicas <", "ERROR: <input>:1:16: Syntax error: mismatched input '<EOF>'" },
        { "1 +", "Syntax error" },
        { "", "Syntax error" },
        { "other.replicas > 1", "ERROR: <input>:1:1: undeclared reference to 'other' (in container '')" },
        { "self.items.all(x, y > 0)", "ERROR: <input>:1:19: undeclared reference to 'y' (in container '')" },
        { "foo(self)", "undeclared reference to 'foo'" },
        { "self.name.frobnicate()", "ERROR: <input>:1:11: undeclared reference to 'frobnicate' (in container '')" },
        { "self.items.all(x.y, true)", "argument must be a simple name" },
        { "self.items.all(x)", "invalid argument count to macro 'all'" },
        {
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(a, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(b, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(c, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(d, [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].all(e, true)))))",
            "estimated rule cost exceeds budget"
        },
    };

    [Theory]
    [MemberData(nameof(CompileErrors))]
    public void Refuses_what_does_not_compile(string expression, string message)
    {
        var e = Assert.Throws<CelCompileException>(() => CelProgram.Compile(expression, "self"));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.False(CelProgram.TryCompile(expression, ["self"], out _, out string? error));
        Assert.Equal(e.Message, error);
    }

    public static TheoryData<string, string> RuntimeErrors => new()
    {
        { "self.missing > 1", "no such key: missing" },
        { "self.replicas / 0", "division by zero" },
        { "self.replicas % 0", "modulus by zero" },
        { "self.replicas == 'a'", "no such overload" },
        { "9223372036854775807 + self.replicas", "integer overflow" },
        { "int(self.name)", "Could not convert" },
        { "self.name.charAt(99)", "index out of range: 99" },
    };

    [Theory]
    [MemberData(nameof(RuntimeErrors))]
    public void Reports_runtime_errors_without_throwing(string expression, string message)
    {
        var result = CelProgram.Compile(expression, "self").Evaluate(Vars(Self));

        Assert.False(result.Succeeded);
        Assert.Null(result.Value);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.False(result.CostLimitExceeded);
    }

    [Fact]
    public void Aborts_an_evaluation_that_exceeds_its_cost_limit()
    {
        var list = new JsonArray([.. Enumerable.Range(0, 2000).Select(i => (JsonNode?)i)]);
        var vars = new Dictionary<string, JsonNode?> { ["self"] = new JsonObject { ["l"] = list } };

        var quadratic = CelProgram.Compile("self.l.all(x, self.l.all(y, x + y >= 0))", "self").Evaluate(vars);
        var nested = CelProgram.Compile("self.l.all(x, !self.l.exists(y, y < 0))", "self").Evaluate(vars);
        var linear = CelProgram.Compile("self.l.all(x, x >= 0)", "self").Evaluate(vars);

        Assert.True(quadratic.CostLimitExceeded, quadratic.Error ?? quadratic.Value?.ToJsonString());
        Assert.Equal("operation cancelled: actual cost limit exceeded", quadratic.Error);
        Assert.True(nested.CostLimitExceeded, nested.Error ?? nested.Value?.ToJsonString());
        Assert.True(linear.Succeeded, linear.Error);
    }

    [Fact]
    public void A_shared_budget_bounds_several_evaluations()
    {
        var program = CelProgram.Compile("self.l.all(x, x >= 0)", "self");
        var vars = new Dictionary<string, JsonNode?> { ["self"] = new JsonObject { ["l"] = new JsonArray([.. Enumerable.Range(0, 100).Select(i => (JsonNode?)i)]) } };
        var budget = new CelCostBudget(limit: 250);

        Assert.True(program.Evaluate(vars, budget).Succeeded);
        Assert.True(program.Evaluate(vars, budget).Succeeded);
        Assert.True(program.Evaluate(vars, budget).CostLimitExceeded);
        Assert.True(budget.Exhausted);
        Assert.True(budget.Spent > 250);
    }

    [Fact]
    public void A_pattern_that_backtracks_exponentially_elsewhere_is_matched_in_linear_time_as_RE2_does()
    {
        var program = CelProgram.Compile("self.s.matches('^(a+)+$')", "self");
        var vars = new Dictionary<string, JsonNode?> { ["self"] = new JsonObject { ["s"] = new string('a', 5_000) + "!" } };
        var started = System.Diagnostics.Stopwatch.StartNew();

        var result = program.Evaluate(vars);

        Assert.True(result.Succeeded, result.Error);
        Assert.False(result.Value!.GetValue<bool>());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), started.Elapsed.ToString());
    }

    [Fact]
    public void One_evaluation_may_spend_only_its_call_limit_of_a_larger_budget()
    {
        var program = CelProgram.Compile("self.l.all(x, x >= 0)", "self");
        var vars = new Dictionary<string, JsonNode?> { ["self"] = new JsonObject { ["l"] = new JsonArray([.. Enumerable.Range(0, 100).Select(i => (JsonNode?)i)]) } };
        var budget = new CelCostBudget(limit: 10_000, callLimit: 50);

        var result = program.Evaluate(vars, budget);

        Assert.True(result.CostLimitExceeded);
        Assert.False(budget.LimitExceeded);
        Assert.Equal(50, budget.CallLimit);
    }

    [Fact]
    public void Evaluates_concurrently()
    {
        var program = CelProgram.Compile("self.items.map(x, x * self.replicas).sum()", "self");

        var results = Enumerable.Range(0, 64).AsParallel().Select(i =>
            program.Evaluate(Vars($$"""{"replicas":{{i}},"items":[1,2,3]}""")).Value?.GetValue<long>()).ToArray();

        Assert.Equal(Enumerable.Range(0, 64).Select(i => (long?)(6 * i)), results);
    }

    private static Dictionary<string, JsonNode?> Vars(string self, string? oldSelf = null)
    {
        var vars = new Dictionary<string, JsonNode?> { ["self"] = JsonNode.Parse(self) };
        if (oldSelf is not null)
        {
            vars["oldSelf"] = JsonNode.Parse(oldSelf);
        }

        return vars;
    }
}
