using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

/// <summary>The storage codec of custom resources: the order of pruning, defaulting and conversion, and what it refuses.</summary>
[Trait("Category", "Unit")]
public sealed class CustomResourceConverterTests
{
    private static V1CustomResourceValidation Schema(string modeDefault, string extraField) => new()
    {
        OpenAPIV3Schema = new V1JSONSchemaProps
        {
            Type = "object",
            Properties = new Dictionary<string, V1JSONSchemaProps>
            {
                ["spec"] = new()
                {
                    Type = "object",
                    Properties = new Dictionary<string, V1JSONSchemaProps>
                    {
                        ["mode"] = new() { Type = "string", DefaultProperty = modeDefault },
                        [extraField] = new() { Type = "string" },
                    },
                },
            },
        },
    };

    /// <summary>v1 (served; default mode "slow"; knows spec.old) and v2 (storage; default mode "fast"; knows spec.new).</summary>
    private static V1CustomResourceDefinition Crd() => new()
    {
        Metadata = new V1ObjectMeta { Name = "dials.example.com" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = "example.com",
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = "dials", Kind = "Dial", ListKind = "DialCollection" },
            Versions =
            [
                new V1CustomResourceDefinitionVersion { Name = "v1", Served = true, Storage = false, Schema = Schema("slow", "old") },
                new V1CustomResourceDefinitionVersion { Name = "v2", Served = true, Storage = true, Schema = Schema("fast", "new") },
            ],
        },
    };

    private static CustomResource Dial(string apiVersion, string spec) =>
        JsonSerializer.Deserialize<CustomResource>($$"""{"apiVersion":"{{apiVersion}}","kind":"Dial","metadata":{"name":"d"},"spec":{{spec}}}""", KubernetesSerialization.Options)!;

    private static ResourceDefinition Served(string version, ICustomResourceConversion? conversion = null) =>
        CustomResourceDefinitions.Served(Crd(), conversion).Single(d => d.Version == version);

    [Fact]
    public async Task A_stored_object_is_pruned_and_defaulted_by_its_own_versions_schema_before_conversion_then_pruned_by_the_served_one()
    {
        IReadOnlyList<object> read = await Served("v1").Converter!.FromStorageAsync([Dial("example.com/v2", """{"new":"n","unknown":"u"}""")], CancellationToken.None);

        var dial = (CustomResource)read[0];
        Assert.Equal("example.com/v1", dial.ApiVersion);
        // v2's default, not v1's; v2's field "new" kept through conversion None but dropped by v1's schema.
        Assert.Equal("""{"mode":"fast"}""", dial.Content["spec"]!.ToJsonString());
    }

    [Fact]
    public async Task A_written_object_is_converted_to_the_storage_version_on_a_copy_and_pruned_by_its_schema()
    {
        CustomResource written = Dial("example.com/v1", """{"mode":"slow","old":"o"}""");
        var stored = (CustomResource)await Served("v1").Converter!.ToStorageAsync(written, CancellationToken.None);

        Assert.Equal("example.com/v2", stored.ApiVersion);
        Assert.Equal("""{"mode":"slow"}""", stored.Content["spec"]!.ToJsonString());
        Assert.Equal("example.com/v1", written.ApiVersion);
        Assert.Equal("o", (string?)written.Content["spec"]!["old"]);
    }

    [Fact]
    public async Task Only_objects_not_in_the_desired_version_go_to_the_conversion_and_keep_their_places()
    {
        var recording = new RecordingConversion();
        IReadOnlyList<object> read = await Served("v2", recording).Converter!.FromStorageAsync(
            [Dial("example.com/v2", "{}"), Dial("example.com/v1", "{}"), Dial("example.com/v2", "{}")], CancellationToken.None);

        Assert.Equal([1], recording.Calls);
        Assert.All(read, o => Assert.Equal("example.com/v2", ((CustomResource)o).ApiVersion));
    }

    [Fact]
    public async Task A_version_the_crd_does_not_list_is_refused_and_a_webhook_conversion_is_never_called_synchronously()
    {
        var e = await Assert.ThrowsAsync<StatusException>(async () => await Served("v1").Converter!.FromStorageAsync([Dial("example.com/v0", "{}")], CancellationToken.None));
        Assert.Equal("request to convert CR from an invalid group/version: example.com/v0", e.Status.Message);
        Assert.Equal(500, e.Status.Code);
        Assert.Null(e.Status.Reason);

        var recording = new RecordingConversion(inProcess: false);
        Assert.Throws<InvalidOperationException>(() => Served("v1", recording).Converter!.FromStorage(Dial("example.com/v2", "{}")));
        Assert.Empty(recording.Calls);
        Assert.Equal("DialCollection", Served("v1").ListKind);
    }

    private sealed class RecordingConversion(bool inProcess = true) : ICustomResourceConversion
    {
        public List<int> Calls { get; } = [];

        public bool InProcess => inProcess;

        public ValueTask<IReadOnlyList<CustomResource>> ConvertAsync(IReadOnlyList<CustomResource> objects, string apiVersion, CancellationToken cancellationToken)
        {
            Calls.Add(objects.Count);
            return NoneConversion.Instance.ConvertAsync(objects, apiVersion, cancellationToken);
        }
    }
}
