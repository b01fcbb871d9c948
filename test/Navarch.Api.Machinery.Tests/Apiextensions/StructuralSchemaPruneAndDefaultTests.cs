using System.Text.Json.Nodes;
using Navarch.Api.Apiextensions;
using static Navarch.Api.Machinery.Tests.Apiextensions.StructuralSchemaValidateTests;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class StructuralSchemaPruneAndDefaultTests
{
    public static TheoryData<string, string, string, string> PruneCases => new()
    {
        { """{"type":"object","properties":{"a":{"type":"string"}}}""", """{"a":"x","b":1}""", """{"a":"x"}""", "spec.b" },
        { """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}}}}}""", """{"a":{"b":"x","c":{"d":1}}}""", """{"a":{"b":"x"}}""", "spec.a.c" },
        { """{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"a":{"type":"object","properties":{}}}}""",
            """{"keep":1,"a":{"drop":2}}""", """{"keep":1,"a":{}}""", "spec.a.drop" },
        { """{"type":"object","additionalProperties":{"type":"object","properties":{"x":{"type":"integer"}}}}""",
            """{"k1":{"x":1,"y":2}}""", """{"k1":{"x":1}}""", "spec.k1.y" },
        { """{"type":"object","additionalProperties":true}""", """{"any":{"thing":1}}""", """{"any":{"thing":1}}""", "" },
        { """{"type":"array","items":{"type":"object","properties":{"n":{"type":"string"}}}}""", """[{"n":"a","z":1},{"n":"b"}]""", """[{"n":"a"},{"n":"b"}]""", "spec[0].z" },
        { """{"type":"object","properties":{"t":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object","properties":{}}}}}}""",
            """{"t":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","bogus":1},"spec":{"x":1},"extra":2}}""",
            """{"t":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{}}}""", "spec.t.metadata.bogus,spec.t.spec.x,spec.t.extra" },
        { """{"x-kubernetes-int-or-string":true}""", "5", "5", "" },
    };

    [Theory]
    [MemberData(nameof(PruneCases))]
    public void Prunes_unknown_fields_and_reports_their_paths(string specSchema, string spec, string expectedSpec, string expectedPaths)
    {
        var schema = StructuralSchema.From(Root(specSchema));
        var obj = Resource(spec);

        var pruned = schema.Prune(obj);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedSpec), obj["spec"]), obj["spec"]?.ToJsonString());
        Assert.Equal(expectedPaths, string.Join(",", pruned));
    }

    [Fact]
    public void Pruning_keeps_apiVersion_kind_and_metadata_at_the_root_and_drops_unknown_top_level_fields()
    {
        var schema = StructuralSchema.From(Root("""{"type":"object"}"""));
        var obj = JsonNode.Parse("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b"}},"spec":{},"status2":{}}""")!.AsObject();

        var pruned = schema.Prune(obj);

        Assert.Equal(["status2"], pruned);
        Assert.Equal("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b"}},"spec":{}}""", obj.ToJsonString());
    }

    public static TheoryData<string, string, string> DefaultCases => new()
    {
        { """{"type":"object","properties":{"replicas":{"type":"integer","default":1}}}""", "{}", """{"replicas":1}""" },
        { """{"type":"object","properties":{"replicas":{"type":"integer","default":1}}}""", """{"replicas":3}""", """{"replicas":3}""" },
        // a null that is not nullable takes the default; a nullable null stays
        { """{"type":"object","properties":{"r":{"type":"integer","default":1}}}""", """{"r":null}""", """{"r":1}""" },
        { """{"type":"object","properties":{"r":{"type":"integer","nullable":true,"default":1}}}""", """{"r":null}""", """{"r":null}""" },
        // a null that is neither nullable nor defaulted is dropped
        { """{"type":"object","properties":{"r":{"type":"integer"}}}""", """{"r":null}""", "{}" },
        // defaults inside a default, and inside list items and map values
        { """{"type":"object","properties":{"o":{"type":"object","default":{},"properties":{"x":{"type":"string","default":"d"}}}}}""", "{}", """{"o":{"x":"d"}}""" },
        { """{"type":"array","items":{"type":"object","properties":{"p":{"type":"integer","default":80}}}}""", """[{},{"p":1}]""", """[{"p":80},{"p":1}]""" },
        { """{"type":"object","additionalProperties":{"type":"object","properties":{"on":{"type":"boolean","default":true}}}}""", """{"a":{}}""", """{"a":{"on":true}}""" },
        // the default is copied, not shared
        { """{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"},"default":["x"]},"b":{"type":"array","items":{"type":"string"},"default":["x"]}}}""", "{}", """{"a":["x"],"b":["x"]}""" },
    };

    [Theory]
    [MemberData(nameof(DefaultCases))]
    public void Applies_defaults_to_absent_fields(string specSchema, string spec, string expectedSpec)
    {
        var schema = StructuralSchema.From(Root(specSchema));
        var obj = Resource(spec);

        schema.ApplyDefaults(obj);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedSpec), obj["spec"]), obj["spec"]?.ToJsonString());
    }

    [Fact]
    public void A_defaulted_object_then_validates()
    {
        var schema = StructuralSchema.From(Root("""{"type":"object","required":["size"],"properties":{"size":{"type":"string","default":"small","enum":["small","large"]}}}"""));
        var obj = Resource("{}");

        schema.ApplyDefaults(obj);

        Assert.Empty(schema.Validate(obj, null));
        Assert.Equal("small", obj["spec"]!["size"]!.GetValue<string>());
    }
}
