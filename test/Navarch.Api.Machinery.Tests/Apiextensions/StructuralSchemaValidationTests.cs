using Navarch.Api.Apiextensions;
using static Navarch.Api.Machinery.Tests.Apiextensions.StructuralSchemaValidateTests;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class StructuralSchemaValidationTests
{
    private const string Path = "spec.versions[0].schema.openAPIV3Schema";

    /// <summary>The cases, numbered: their schemas share long prefixes, which test names would cut to the same text.</summary>
    public static TheoryData<int, string, string> Cases
    {
        get
        {
            var numbered = new TheoryData<int, string, string>();
            int n = 0;
            foreach (object[] row in Table)
            {
                numbered.Add(++n, (string)row[0], (string)row[1]);
            }

            return numbered;
        }
    }

    private static TheoryData<string, string> Table => new()
    {
        { """{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"}}}}}""", "" },
        { """{"type":"object","properties":{"spec":{"properties":{"a":{"type":"string"}}}}}""",
            $"{Path}.properties[spec].type: Required value: must not be empty for specified object fields" },
        { """{"properties":{}}""", $"{Path}.type: Required value: must not be empty at the root" },
        { """{"type":"string"}""", $"{Path}.type: Invalid value: \"string\": must be object at the root" },
        { """{"type":"object","properties":{"l":{"type":"array"}}}""", $"{Path}.properties[l].items: Required value: must be specified" },
        { """{"type":"object","properties":{"l":{"type":"array","items":{}}}}""", $"{Path}.properties[l].items.type: Required value: must not be empty for specified array items" },
        { """{"type":"object","properties":{"x":{"x-kubernetes-preserve-unknown-fields":true}}}""", "" },
        { """{"type":"object","properties":{"x":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]}}}""", "" },
        { """{"type":"object","properties":{"x":{"type":"string","anyOf":[{"type":"string"}]}}}""", $"{Path}.properties[x].anyOf[0].type: Forbidden: must be empty to be structural" },
        { """{"type":"object","properties":{"e":{"type":"object","x-kubernetes-embedded-resource":true}}}""",
            $"{Path}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields" },
        { """{"type":"object","properties":{"metadata":{"type":"object","properties":{"labels":{"type":"object"}}}}}""",
            $"{Path}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified" },
        { """{"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":10}}}}}""", "" },
        { """{"type":"object","properties":{"l":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}}""",
            $"{Path}.properties[l].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic" },
        { """{"type":"object","properties":{"m":{"type":"object","additionalProperties":false}}}""",
            $"{Path}.properties[m].additionalProperties: Forbidden: additionalProperties cannot be set to false" },
        { """{"type":"object","properties":{"m":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}}}""",
            $"{Path}.properties[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive" },
        { """{"type":"object","properties":{"s":{"type":"string","pattern":"("}}}""", "must be a valid regular expression" },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"bag","items":{"type":"string"}}}}""",
            $"{Path}.properties[l].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"map\", \"set\"" },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object","properties":{"n":{"type":"string"}}}}}}""",
            $"{Path}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map" },
        { """{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["n"],"items":{"type":"object","properties":{"n":{"type":"string"}}}}}}""",
            $"{Path}.properties[l].items.required: Required value: all map keys must be required or have a default value (missing: \"n\")" },
        { """{"type":"object","properties":{"m":{"type":"object","x-kubernetes-map-type":"weird"}}}""",
            $"{Path}.properties[m].x-kubernetes-map-type: Unsupported value: \"weird\": supported values: \"atomic\", \"granular\"" },
        // defaults must validate and survive pruning
        { """{"type":"object","properties":{"r":{"type":"integer","default":3,"maximum":5}}}""", "" },
        { """{"type":"object","properties":{"r":{"type":"integer","default":"x"}}}""",
            $"{Path}.properties[r].default: Invalid value: \"string\": . in body must be of type integer: \"string\"" },
        { """{"type":"object","properties":{"r":{"type":"integer","default":9,"maximum":5}}}""",
            $"{Path}.properties[r].default: Invalid value: 9: . in body should be less than or equal to 5" },
        { """{"type":"object","properties":{"o":{"type":"object","default":{"a":1,"b":2},"properties":{"a":{"type":"integer"}}}}}""",
            $"{Path}.properties[o].default: Invalid value: \"{{\\\"a\\\":1,\\\"b\\\":2}}\": must not have unknown fields" },
        { """{"type":"object","properties":{"o":{"type":"object","default":{"a":"x"},"properties":{"a":{"type":"integer"}}}}}""",
            $"{Path}.properties[o].default.a: Invalid value: \"string\": a in body must be of type integer: \"string\"" },
        // CEL rules compile at CRD create/update
        { """{"type":"object","x-kubernetes-validations":[{"rule":"self.a >"}]}""", $"{Path}.x-kubernetes-validations[0].rule: Invalid value: \"self.a >\": compilation failed: ERROR: <input>:1:9: Syntax error:" },
        { """{"type":"object","x-kubernetes-validations":[{"rule":"other.a > 1"}]}""",
            $"{Path}.x-kubernetes-validations[0].rule: Invalid value: \"other.a > 1\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'other' (in container '')" },
        { """{"type":"object","x-kubernetes-validations":[{"rule":"self.x == oldSelf.x","messageExpression":"nope(self)"}]}""", "messageExpression compilation failed" },
        { """{"type":"object","x-kubernetes-validations":[{"rule":"true","reason":"Bad"}]}""", "reason: Unsupported value: \"Bad\"" },
        { """{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"true","fieldPath":".b"}]}""", "fieldPath must be a valid path" },
        { """{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"true","fieldPath":".a"}]}""", "" },
        { """{"type":"object","x-kubernetes-validations":[{"rule":"true","message":"two\nlines"}]}""", "message must not contain line breaks" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validates_the_crd_schema(int number, string schema, string expected)
    {
        _ = number; // only names the case
        var errors = StructuralSchemaValidation.Validate(Parse(schema), Path);

        string text = string.Join("\n", errors.Select(e => e.ToString()));
        if (expected.Length == 0)
        {
            Assert.Equal("", text);
        }
        else
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }
}
