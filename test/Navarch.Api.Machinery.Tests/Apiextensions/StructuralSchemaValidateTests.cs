using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api.Apiextensions;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class StructuralSchemaValidateTests
{
    // Each case: the schema of "spec", the spec's value, the errors as Kubernetes prints them ("" = valid).
    public static TheoryData<string, string, string> Cases => new()
    {
        // type
        { """{"type":"integer"}""", "3", "" },
        { """{"type":"integer"}""", "\"3\"", "spec: Invalid value: \"string\": spec in body must be of type integer: \"string\"" },
        { """{"type":"integer"}""", "1.5", "spec: Invalid value: \"number\": spec in body must be of type integer: \"number\"" },
        { """{"type":"number"}""", "2", "" },
        { """{"type":"number"}""", "true", "spec: Invalid value: \"boolean\": spec in body must be of type number: \"boolean\"" },
        { """{"type":"string"}""", "1", "spec: Invalid value: \"integer\": spec in body must be of type string: \"integer\"" },
        { """{"type":"boolean"}""", "\"true\"", "spec: Invalid value: \"string\": spec in body must be of type boolean: \"string\"" },
        { """{"type":"array","items":{"type":"string"}}""", "{}", "spec: Invalid value: \"object\": spec in body must be of type array: \"object\"" },
        { """{"type":"object"}""", "[]", "spec: Invalid value: \"array\": spec in body must be of type object: \"array\"" },
        // nullable
        { """{"type":"string"}""", "null", "spec: Invalid value: \"null\": spec in body must be of type string: \"null\"" },
        { """{"type":"string","nullable":true}""", "null", "" },
        // int-or-string
        { """{"x-kubernetes-int-or-string":true}""", "5", "" },
        { """{"x-kubernetes-int-or-string":true}""", "\"50%\"", "" },
        { """{"x-kubernetes-int-or-string":true}""", "true", "spec: Invalid value: \"boolean\": spec in body must be of type integer,string: \"boolean\"" },
        // properties, required, nested paths
        { """{"type":"object","required":["a","b"],"properties":{"a":{"type":"string"},"b":{"type":"string"}}}""", """{"a":"x"}""", "spec.b: Required value" },
        { """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"integer","maximum":10}}}}}""", """{"a":{"b":20}}""",
            "spec.a.b: Invalid value: 20: spec.a.b in body should be less than or equal to 10" },
        // enum
        { """{"type":"string","enum":["a","b"]}""", "\"a\"", "" },
        { """{"type":"string","enum":["a","b"]}""", "\"x\"", "spec: Unsupported value: \"x\": supported values: \"a\", \"b\"" },
        { """{"type":"integer","enum":[1,2]}""", "3", "spec: Unsupported value: 3: supported values: \"1\", \"2\"" },
        // pattern
        { """{"type":"string","pattern":"^[a-z]+$"}""", "\"abc\"", "" },
        { """{"type":"string","pattern":"^[a-z]+$"}""", "\"A1\"", "spec: Invalid value: \"A1\": spec in body should match '^[a-z]+$'" },
        // minimum / maximum, exclusive
        { """{"type":"integer","minimum":1}""", "0", "spec: Invalid value: 0: spec in body should be greater than or equal to 1" },
        { """{"type":"integer","minimum":1,"exclusiveMinimum":true}""", "1", "spec: Invalid value: 1: spec in body should be greater than 1" },
        { """{"type":"integer","maximum":10,"exclusiveMaximum":true}""", "10", "spec: Invalid value: 10: spec in body should be less than 10" },
        { """{"type":"number","maximum":1.5}""", "1.75", "spec: Invalid value: 1.75: spec in body should be less than or equal to 1.5" },
        { """{"type":"integer","multipleOf":5}""", "12", "spec: Invalid value: 12: spec in body should be a multiple of 5" },
        // minLength / maxLength
        { """{"type":"string","maxLength":3}""", "\"abcd\"", "spec: Too long: may not be more than 3 bytes" },
        { """{"type":"string","minLength":2}""", "\"a\"", "spec: Invalid value: \"a\": spec in body should be at least 2 chars long" },
        { """{"type":"string","maxLength":3}""", "\"äöü\"", "" },
        // minItems / maxItems / uniqueItems
        { """{"type":"array","items":{"type":"integer"},"maxItems":2}""", "[1,2,3]", "spec: Too many: 3: must have at most 2 items" },
        { """{"type":"array","items":{"type":"integer"},"minItems":2}""", "[1]", "spec: Invalid value: 1: spec in body should have at least 2 items" },
        { """{"type":"array","items":{"type":"integer"},"uniqueItems":true}""", "[1,1]", "spec: Invalid value: \"\": spec in body shouldn't contain duplicates" },
        // minProperties / maxProperties
        { """{"type":"object","additionalProperties":{"type":"string"},"maxProperties":1}""", """{"a":"1","b":"2"}""", "spec: Too many: 2: must have at most 1 items" },
        { """{"type":"object","additionalProperties":{"type":"string"},"minProperties":2}""", """{"a":"1"}""", "spec: Invalid value: 1: spec in body should have at least 2 properties" },
        // items, additionalProperties
        { """{"type":"array","items":{"type":"integer"}}""", "[1,\"x\",3]", "spec[1]: Invalid value: \"string\": spec[1] in body must be of type integer: \"string\"" },
        { """{"type":"object","additionalProperties":{"type":"integer"}}""", """{"a":1,"b":"x"}""", "spec.b: Invalid value: \"string\": spec.b in body must be of type integer: \"string\"" },
        // formats
        { """{"type":"string","format":"uuid"}""", "\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\"", "" },
        { """{"type":"string","format":"uuid"}""", "\"nope\"", "spec: Invalid value: \"nope\": spec in body must be of type uuid: \"nope\"" },
        { """{"type":"string","format":"date-time"}""", "\"2024-01-02T03:04:05Z\"", "" },
        { """{"type":"string","format":"date-time"}""", "\"2024-01-02\"", "spec: Invalid value: \"2024-01-02\": spec in body must be of type date-time: \"2024-01-02\"" },
        { """{"type":"string","format":"date"}""", "\"2024-02-30\"", "spec: Invalid value: \"2024-02-30\": spec in body must be of type date: \"2024-02-30\"" },
        { """{"type":"string","format":"byte"}""", "\"aGVsbG8=\"", "" },
        { """{"type":"string","format":"byte"}""", "\"***\"", "spec: Invalid value: \"***\": spec in body must be of type byte: \"***\"" },
        { """{"type":"string","format":"ipv4"}""", "\"10.0.0.1\"", "" },
        { """{"type":"string","format":"ipv4"}""", "\"10.0.0\"", "spec: Invalid value: \"10.0.0\": spec in body must be of type ipv4: \"10.0.0\"" },
        { """{"type":"string","format":"cidr"}""", "\"10.0.0.0/33\"", "spec: Invalid value: \"10.0.0.0/33\": spec in body must be of type cidr: \"10.0.0.0/33\"" },
        { """{"type":"string","format":"hostname"}""", "\"a_b\"", "spec: Invalid value: \"a_b\": spec in body must be of type hostname: \"a_b\"" },
        { """{"type":"string","format":"email"}""", "\"me@example.com\"", "" },
        { """{"type":"string","format":"password"}""", "\"anything\"", "" },
        { """{"type":"integer","format":"int32"}""", "5", "" },
        // list types
        { """{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}""", "[\"a\",\"b\",\"a\"]", "spec[2]: Duplicate value: \"a\"" },
        { """{"type":"array","x-kubernetes-list-type":"atomic","items":{"type":"string"}}""", "[\"a\",\"a\"]", "" },
        { """{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"v":{"type":"integer"}}}}""",
            """[{"name":"a","v":1},{"name":"b"},{"name":"a","v":2}]""", "spec[2]: Duplicate value: \"{\\\"name\\\":\\\"a\\\"}\"" },
        { """{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name","port"],"items":{"type":"object","properties":{"name":{"type":"string"},"port":{"type":"integer"}}}}""",
            """[{"name":"a","port":1},{"name":"a","port":2}]""", "" },
        // embedded resources
        { """{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}""", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}""", "" },
        { """{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}""", """{"metadata":{}}""",
            "spec.apiVersion: Required value: must not be empty\nspec.kind: Required value: must not be empty" },
        { """{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}""", """{"apiVersion":"a/b/c","kind":"K"}""",
            "spec.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c" },
        // allOf, anyOf, oneOf, not
        { """{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]}""", "\"5%\"", "" },
        { """{"type":"integer","anyOf":[{"minimum":10},{"maximum":2}]}""", "5",
            "<nil>: Invalid value: \"\": \"spec\" must validate at least one schema (anyOf)\nspec: Invalid value: 5: spec in body should be greater than or equal to 10" },
        { """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}]}""", """{"a":"x"}""", "" },
        { """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}]}""", """{"a":"x","b":"y"}""",
            "<nil>: Invalid value: \"\": \"spec\" must validate one and only one schema (oneOf). Found 2 valid alternatives" },
        { """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"oneOf":[{"required":["a"]},{"required":["b"]}]}""", "{}",
            "<nil>: Invalid value: \"\": \"spec\" must validate one and only one schema (oneOf). Found none valid\nspec.a: Required value" },
        { """{"type":"string","allOf":[{"minLength":2},{"pattern":"^a"}]}""", "\"b\"",
            "<nil>: Invalid value: \"\": \"spec\" must validate all the schemas (allOf)\nspec: Invalid value: \"b\": spec in body should be at least 2 chars long\nspec: Invalid value: \"b\": spec in body should match '^a'" },
        { """{"type":"string","not":{"enum":["x"]}}""", "\"x\"", "<nil>: Invalid value: \"\": \"spec\" must not validate the schema (not)" },
        // several errors in document order
        { """{"type":"object","required":["r"],"properties":{"n":{"type":"integer","maximum":1},"s":{"type":"string","enum":["a"]},"r":{"type":"string"}}}""", """{"n":2,"s":"b"}""",
            "spec.r: Required value\nspec.n: Invalid value: 2: spec.n in body should be less than or equal to 1\nspec.s: Unsupported value: \"b\": supported values: \"a\"" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validates_like_kube_openapi(string specSchema, string spec, string expected)
    {
        var schema = StructuralSchema.From(Root(specSchema));
        var obj = Resource(spec);

        var errors = schema.Validate(obj, null);

        Assert.Equal(expected, string.Join("\n", errors.Select(e => e.ToString())));
    }

    [Fact]
    public void Root_metadata_name_may_be_restricted_and_apiVersion_kind_are_not_checked()
    {
        var schema = StructuralSchema.From(Parse("""
            {"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":3}}},"spec":{"type":"object"}}}
            """));
        var obj = JsonNode.Parse("""{"apiVersion":"x.io/v1","kind":"K","metadata":{"name":"long-name","labels":{"a":"b"}},"spec":{}}""")!.AsObject();

        Assert.Equal("metadata.name: Too long: may not be more than 3 bytes", Assert.Single(schema.Validate(obj, null)).ToString());
    }

    [Fact]
    public void No_schema_means_no_errors()
    {
        Assert.Empty(StructuralSchema.From(null).Validate(Resource("{}"), null));
    }

    [Fact]
    public void Error_reasons_are_kubernetes_cause_types()
    {
        var schema = StructuralSchema.From(Root("""{"type":"object","required":["a"],"properties":{"a":{"type":"string"},"e":{"type":"string","enum":["x"]}}}"""));

        var errors = schema.Validate(Resource("""{"e":"y"}"""), null);

        Assert.Equal(["FieldValueRequired", "FieldValueNotSupported"], errors.Select(e => e.Reason));
    }

    internal static V1JSONSchemaProps Root(string specSchema) =>
        Parse($$$"""{"type":"object","properties":{"spec":{{{specSchema}}}}}""");

    internal static V1JSONSchemaProps Parse(string json) => KubernetesJson.Deserialize<V1JSONSchemaProps>(json);

    internal static JsonObject Resource(string spec) =>
        JsonNode.Parse($$"""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{{spec}}}""")!.AsObject();
}
