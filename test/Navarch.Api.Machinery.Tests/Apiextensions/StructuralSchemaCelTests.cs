using Navarch.Api.Apiextensions;
using static Navarch.Api.Machinery.Tests.Apiextensions.StructuralSchemaValidateTests;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class StructuralSchemaCelTests
{
    private const string Replicas = """
        {"type":"object","properties":{"replicas":{"type":"integer"},"max":{"type":"integer"}},
         "x-kubernetes-validations":[{"rule":"self.replicas <= self.max","message":"replicas must not exceed max"}]}
        """;

    public static TheoryData<string, string, string?, string> Cases => new()
    {
        { Replicas, """{"replicas":2,"max":3}""", null, "" },
        { Replicas, """{"replicas":5,"max":3}""", null, "spec: Invalid value: \"object\": replicas must not exceed max" },
        // without message: "failed rule: <rule>"
        { """{"type":"object","x-kubernetes-validations":[{"rule":"has(self.a)"}],"properties":{"a":{"type":"string"}}}""", "{}", null,
            "spec: Invalid value: \"object\": failed rule: has(self.a)" },
        // a rule on a scalar shows the value
        { """{"type":"object","properties":{"name":{"type":"string","x-kubernetes-validations":[{"rule":"self.startsWith('x-')"}]}}}""", """{"name":"abc"}""", null,
            "spec.name: Invalid value: \"abc\": failed rule: self.startsWith('x-')" },
        // messageExpression, with fallback to message when it fails
        { """{"type":"object","properties":{"n":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.n < 10","messageExpression":"'n is ' + string(self.n) + ', want < 10'"}]}""",
            """{"n":12}""", null, "spec: Invalid value: \"object\": n is 12, want < 10" },
        { """{"type":"object","properties":{"n":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.n < 10","message":"too big","messageExpression":"self.missing"}]}""",
            """{"n":12}""", null, "spec: Invalid value: \"object\": too big" },
        // reason and fieldPath
        { """{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"has(self.a)","message":"a is required","reason":"FieldValueRequired","fieldPath":".a"}]}""",
            "{}", null, "spec.a: Required value: a is required" },
        { """{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"self.a != 'x'","message":"no x","reason":"FieldValueForbidden"}]}""",
            """{"a":"x"}""", null, "spec: Forbidden: no x" },
        // runtime errors
        { """{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.a > 1"}]}""", "{}", null,
            "spec: Invalid value: \"object\": no such key: a evaluating rule: self.a > 1" },
        // rules on list items and map values carry their paths
        { """{"type":"array","items":{"type":"integer","x-kubernetes-validations":[{"rule":"self % 2 == 0","message":"must be even"}]}}""", "[2,3,4,5]", null,
            "spec[1]: Invalid value: 3: must be even\nspec[3]: Invalid value: 5: must be even" },
        { """{"type":"object","additionalProperties":{"type":"string","x-kubernetes-validations":[{"rule":"self.size() < 3"}]}}""", """{"k":"long"}""", null,
            "spec[k]: Invalid value: \"long\": failed rule: self.size() < 3" },
        // macros, has() on maps
        { """{"type":"object","properties":{"ports":{"type":"array","items":{"type":"integer"}}},"x-kubernetes-validations":[{"rule":"self.ports.all(p, p > 0 && p < 65536)","message":"bad port"}]}""",
            """{"ports":[80,70000]}""", null, "spec: Invalid value: \"object\": bad port" },
        // transition rules: skipped on create, evaluated against oldSelf on update
        { """{"type":"object","properties":{"v":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf","message":"v is immutable"}]}}}""", """{"v":"b"}""", null, "" },
        { """{"type":"object","properties":{"v":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf","message":"v is immutable"}]}}}""", """{"v":"b"}""", """{"v":"a"}""",
            "spec.v: Invalid value: \"b\": v is immutable" },
        { """{"type":"object","properties":{"v":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf","message":"v is immutable"}]}}}""", """{"v":"a"}""", """{"v":"a"}""", "" },
        // a field new in this update has no oldSelf: its transition rule does not run
        { """{"type":"object","properties":{"v":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf"}]}}}""", """{"v":"b"}""", "{}", "" },
        // map-list items correlate by key
        { """{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"size":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.size >= oldSelf.size","message":"may not shrink"}]}}""",
            """[{"name":"b","size":1},{"name":"a","size":5}]""", """[{"name":"a","size":6},{"name":"b","size":1}]""", "spec[1]: Invalid value: \"object\": may not shrink" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluates_x_kubernetes_validations(string specSchema, string spec, string? oldSpec, string expected)
    {
        var schema = StructuralSchema.From(Root(specSchema));

        var errors = schema.Validate(Resource(spec), oldSpec is null ? null : Resource(oldSpec));

        Assert.Equal(expected, string.Join("\n", errors.Select(e => e.ToString())));
    }

    [Fact]
    public void Root_rules_see_metadata_name_only()
    {
        var schema = StructuralSchema.From(Parse("""
            {"type":"object","properties":{"spec":{"type":"object"}},
             "x-kubernetes-validations":[{"rule":"self.metadata.name.startsWith('w') && !has(self.metadata.labels)","message":"name"}]}
            """));
        var obj = Resource("{}");
        obj["metadata"]!["labels"] = new System.Text.Json.Nodes.JsonObject { ["a"] = "b" };

        Assert.Empty(schema.Validate(obj, null));
    }

    [Fact]
    public void Runaway_rules_stop_at_the_cost_budget()
    {
        var schema = StructuralSchema.From(Root("""
            {"type":"object","properties":{"l":{"type":"array","items":{"type":"integer"}}},
             "x-kubernetes-validations":[{"rule":"self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))"}]}
            """));
        var items = string.Join(",", Enumerable.Range(0, 300));

        var error = Assert.Single(schema.Validate(Resource($$"""{"l":[{{items}}]}"""), null));

        Assert.Contains("cost", error.Detail, StringComparison.Ordinal);
        Assert.StartsWith("spec: Invalid value: \"object\":", error.ToString(), StringComparison.Ordinal);
    }
}
