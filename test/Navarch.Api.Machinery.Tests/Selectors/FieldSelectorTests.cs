using Navarch.Api.Selectors;

namespace Navarch.Api.Machinery.Tests.Selectors;

[Trait("Category", "Unit")]
public sealed class FieldSelectorTests
{
    [Fact]
    public void Field_selectors_parse_escapes_and_check_supported_fields()
    {
        FieldSelector s = FieldSelector.Parse(@"metadata.name=a\,b,status.phase!=Running");
        Assert.Equal([("metadata.name", true, "a,b"), ("status.phase", false, "Running")], s.Terms);
        Assert.True(s.Matches(new Dictionary<string, string> { ["metadata.name"] = "a,b", ["status.phase"] = "Pending" }));
        StatusException e = Assert.Throws<StatusException>(() => s.CheckSupported(["metadata.name"]));
        Assert.Equal("field label not supported: status.phase", e.Status.Message);
    }
}
