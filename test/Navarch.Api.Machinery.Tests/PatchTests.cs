using System.Text.Json.Nodes;
using Navarch.Api.Patch;

namespace Navarch.Api.Machinery.Tests;

[Trait("Category", "Unit")]
public sealed class PatchTests
{
    public static TheoryData<string, string, string, string> StrategicCases => new()
    {
        {
            "containers merge by name; image changes, other fields stay",
            """{"spec":{"containers":[{"name":"a","image":"x:1","args":["-v"]},{"name":"b","image":"y:1"}]}}""",
            """{"spec":{"containers":[{"name":"a","image":"x:2"}]}}""",
            """{"spec":{"containers":[{"name":"a","image":"x:2","args":["-v"]},{"name":"b","image":"y:1"}]}}"""
        },
        {
            "$patch delete removes one item by its merge key",
            """{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}""",
            """{"env":[{"$patch":"delete","name":"A"}]}""",
            """{"env":[{"name":"B","value":"2"}]}"""
        },
        {
            "$setElementOrder orders the merged list",
            """{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}""",
            """{"$setElementOrder/env":[{"name":"C"},{"name":"B"},{"name":"A"}],"env":[{"name":"C","value":"3"}]}""",
            """{"env":[{"name":"C","value":"3"},{"name":"B","value":"2"},{"name":"A","value":"1"}]}"""
        },
        {
            "null deletes a map key; lists without a merge key are replaced",
            """{"metadata":{"labels":{"a":"1","b":"2"}},"args":["x","y"]}""",
            """{"metadata":{"labels":{"a":null}},"args":["z"]}""",
            """{"metadata":{"labels":{"b":"2"}},"args":["z"]}"""
        },
        {
            "container ports merge by containerPort, service ports by port",
            """{"c":{"ports":[{"containerPort":80,"name":"http"}]},"s":{"ports":[{"port":443,"targetPort":8443}]}}""",
            """{"c":{"ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":81}]},"s":{"ports":[{"port":443,"name":"https"}]}}""",
            """{"c":{"ports":[{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":81}]},"s":{"ports":[{"port":443,"targetPort":8443,"name":"https"}]}}"""
        },
        {
            "finalizers take the union; $deleteFromPrimitiveList removes",
            """{"metadata":{"finalizers":["a","b"]}}""",
            """{"metadata":{"finalizers":["c"],"$deleteFromPrimitiveList/finalizers":["a"]}}""",
            """{"metadata":{"finalizers":["b","c"]}}"""
        },
        {
            "$patch replace on an object replaces it whole",
            """{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}""",
            """{"spec":{"strategy":{"$patch":"replace","type":"Recreate"}}}""",
            """{"spec":{"strategy":{"type":"Recreate"}}}"""
        },
        {
            "$retainKeys drops keys not listed",
            """{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}""",
            """{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}""",
            """{"strategy":{"type":"Recreate"}}"""
        },
    };

    [Theory]
    [MemberData(nameof(StrategicCases))]
    public void Strategic_merge_patch(string name, string original, string patch, string expected)
    {
        JsonNode? result = StrategicMergePatch.Apply(JsonNode.Parse(original), JsonNode.Parse(patch));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), $"{name}: got {result?.ToJsonString()}");
    }

    public static TheoryData<string, string, string> MergeCases => new()
    {
        { """{"a":{"b":1,"c":2},"l":[1,2]}""", """{"a":{"b":null,"d":3},"l":[3]}""", """{"a":{"c":2,"d":3},"l":[3]}""" },
        { """{"a":1}""", """{"a":{"x":1}}""", """{"a":{"x":1}}""" },
    };

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void Json_merge_patch(string original, string patch, string expected) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), MergePatch.Apply(JsonNode.Parse(original), JsonNode.Parse(patch))));

    public static TheoryData<string, string, string> JsonPatchCases => new()
    {
        { """{"a":[1,2]}""", """[{"op":"add","path":"/a/-","value":3}]""", """{"a":[1,2,3]}""" },
        { """{"a":[1,2]}""", """[{"op":"add","path":"/a/0","value":0}]""", """{"a":[0,1,2]}""" },
        { """{"a":{"b~c":1}}""", """[{"op":"remove","path":"/a/b~0c"}]""", """{"a":{}}""" },
        { """{"a":1,"b":2}""", """[{"op":"move","from":"/a","path":"/c"},{"op":"copy","from":"/b","path":"/d"},{"op":"replace","path":"/b","value":5},{"op":"test","path":"/d","value":2}]""", """{"b":5,"c":1,"d":2}""" },
    };

    [Theory]
    [MemberData(nameof(JsonPatchCases))]
    public void Json_patch(string original, string patch, string expected) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonPatch.Apply(JsonNode.Parse(original), JsonNode.Parse(patch))));

    [Theory]
    [InlineData("""[{"op":"test","path":"/a","value":2}]""", 422)]
    [InlineData("""[{"op":"remove","path":"/missing"}]""", 422)]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""", 400)]
    [InlineData("""{"op":"add"}""", 400)]
    public void Json_patch_errors(string patch, int code)
    {
        StatusException e = Assert.Throws<StatusException>(() => JsonPatch.Apply(JsonNode.Parse("""{"a":1}"""), JsonNode.Parse(patch)));
        Assert.Equal(code, (int)e.Code);
    }
}
