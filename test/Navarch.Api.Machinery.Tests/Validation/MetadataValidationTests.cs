using Navarch.Api.Validation;

namespace Navarch.Api.Machinery.Tests.Validation;

[Trait("Category", "Unit")]
public sealed class MetadataValidationTests
{
    [Theory]
    [InlineData("web", NameRule.Subdomain, true)]
    [InlineData("web.example.com", NameRule.Subdomain, true)]
    [InlineData("web.example.com", NameRule.Label, false)]
    [InlineData("Web", NameRule.Subdomain, false)]
    [InlineData("-web", NameRule.Label, false)]
    [InlineData("system:admin", NameRule.PathSegment, true)]
    [InlineData("a/b", NameRule.PathSegment, false)]
    public void Names_follow_the_rule_of_their_kind(string name, NameRule rule, bool valid) =>
        Assert.Equal(valid, !MetadataValidation.NameProblems(name, rule).Any());
}
