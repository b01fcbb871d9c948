using System.Text.Json.Nodes;
using Navarch.Api.Cel;

namespace Navarch.Api.Machinery.Tests.Cel;

/// <summary>
/// Field selections checked against OpenAPI schemas as cel-go's checker reports them: through $refs, list
/// comprehension variables, indexes and has(); maps, preserved-unknown and untyped values are open.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CelSchemaTypeCheckTests
{
    private static readonly JsonObject Document = JsonNode.Parse("""
        {"components":{"schemas":{
          "Root":{"type":"object","properties":{
            "spec":{"type":"object","properties":{
              "items":{"type":"array","items":{"$ref":"#/components/schemas/Item"}},
              "labels":{"type":"object","additionalProperties":{"type":"string"}},
              "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"a":{"type":"string"}}}}}}},
          "Item":{"type":"object","properties":{"name":{"type":"string"},"ports":{"type":"array","items":{"allOf":[{"$ref":"#/components/schemas/Port"}]}}}},
          "Port":{"type":"object","properties":{"port":{"type":"integer"}}}}}}
        """)!.AsObject();

    [Theory]
    [InlineData("object.spec.items.all(i, i.name != '' && i.ports.all(p, p.port > 0))")]
    [InlineData("object.spec.labels.foo == 'x' && object.spec.labels['bar'] == 'y'")]
    [InlineData("object.spec.free.anything.deeper == 1")]
    [InlineData("object.spec.items[0].ports[0].port == 1")]
    [InlineData("other.whatever == 1")]
    [InlineData("object.spec.labels.all(k, k.size() > 0)")]
    public void Known_and_open_fields_pass(string expression) => Assert.Null(Check(expression));

    [Fact]
    public void Undefined_fields_are_reported_at_their_dot_with_the_source_line()
    {
        Assert.Equal("ERROR: <input>:1:7: undefined field 'sepc'\n | object.sepc.items.size() > 0\n | ......^", Check("object.sepc.items.size() > 0"));
        Assert.Equal(
            "ERROR: <input>:1:27: undefined field 'nmae'\n | object.spec.items.all(i, i.nmae != '') || has(object.spec.items[0].ports[0].prot)\n | ..........................^\n"
            + "ERROR: <input>:1:76: undefined field 'prot'\n | object.spec.items.all(i, i.nmae != '') || has(object.spec.items[0].ports[0].prot)\n | ...........................................................................^",
            Check("object.spec.items.all(i, i.nmae != '') || has(object.spec.items[0].ports[0].prot)"));
    }

    private static string? Check(string expression)
    {
        JsonObject root = Document["components"]!["schemas"]!["Root"]!.AsObject();
        return CelSchemaTypeCheck.Check(expression, new Dictionary<string, JsonObject> { ["object"] = root }, s =>
            Document["components"]!["schemas"]![((string)s["$ref"]!)["#/components/schemas/".Length..]]!.AsObject());
    }
}
