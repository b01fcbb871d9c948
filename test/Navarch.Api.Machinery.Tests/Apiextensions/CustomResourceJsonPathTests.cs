using System.Text.Json;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.Api.Machinery.Tests.Apiextensions;

[Trait("Category", "Unit")]
public sealed class CustomResourceJsonPathTests
{
    private static readonly CustomResource Resource = JsonSerializer.Deserialize<CustomResource>("""
        {"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"app":"a"}},
         "spec":{"replicas":3,"ports":[{"name":"http","port":80},{"name":"dns","port":53}]},
         "status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Synced","status":"False"}]}}
        """, KubernetesSerialization.Options)!;

    [Theory]
    [InlineData(".spec.replicas", "3")]
    [InlineData("{.spec.replicas}", "3")]
    [InlineData(".metadata.name", "w")]
    [InlineData(".metadata.labels.app", "a")]
    [InlineData(".apiVersion", "example.com/v1")]
    [InlineData(".spec.ports[1].name", "dns")]
    [InlineData(".spec.ports[-1].port", "53")]
    [InlineData(".spec['replicas']", "3")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", "True")]
    [InlineData(".status.conditions[?(@.type!='Ready')].type", "Synced")]
    public void A_path_finds_its_value(string path, string expected) =>
        Assert.Equal(expected, CustomResourceJsonPath.Print(CustomResourceJsonPath.Parse(path).Find(Resource)[0]));

    [Fact]
    public void Wildcards_find_every_value_and_absent_fields_nothing()
    {
        Assert.Equal(["80", "53"], CustomResourceJsonPath.Parse(".spec.ports[*].port").Find(Resource).Select(CustomResourceJsonPath.Print));
        Assert.Empty(CustomResourceJsonPath.Parse(".spec.missing.deeper").Find(Resource));
        Assert.Empty(CustomResourceJsonPath.Parse(".spec.ports[7]").Find(Resource));
    }

    [Theory]
    [InlineData("spec")]
    [InlineData(".spec[")]
    [InlineData(".spec..x")]
    public void A_path_it_cannot_read_is_refused(string path) => Assert.False(CustomResourceJsonPath.IsValid(path));
}
