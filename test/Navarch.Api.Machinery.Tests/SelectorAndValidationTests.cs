using Navarch.Api.Selectors;
using Navarch.Api.Strategies;

namespace Navarch.Api.Machinery.Tests;

[Trait("Category", "Unit")]
public sealed class SelectorAndValidationTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front", ["n"] = "5" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web,tier=front", true)]
    [InlineData("app!=web", false)]
    [InlineData("app in (web, api)", true)]
    [InlineData("app notin (web)", false)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!missing", true)]
    [InlineData("n>4,n<6", true)]
    [InlineData("missing=x", false)]
    public void Label_selectors_match_like_kubernetes(string selector, bool matches) =>
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("app in (web")]
    [InlineData("-bad-key=x")]
    [InlineData("app=bad value!")]
    [InlineData("n>x")]
    public void Bad_label_selectors_are_400(string selector) =>
        Assert.Equal(400, (int)Assert.Throws<StatusException>(() => LabelSelector.Parse(selector)).Code);

    [Fact]
    public void Field_selectors_parse_escapes_and_check_supported_fields()
    {
        FieldSelector s = FieldSelector.Parse(@"metadata.name=a\,b,status.phase!=Running");
        Assert.Equal([("metadata.name", true, "a,b"), ("status.phase", false, "Running")], s.Terms);
        Assert.True(s.Matches(new Dictionary<string, string> { ["metadata.name"] = "a,b", ["status.phase"] = "Pending" }));
        StatusException e = Assert.Throws<StatusException>(() => s.CheckSupported(["metadata.name"]));
        Assert.Equal("field label not supported: status.phase", e.Status.Message);
    }

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

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(182, "3m2s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 + 60, "3h1m")]
    [InlineData(10 * 3600, "10h")]
    [InlineData(51 * 3600, "2d3h")]
    [InlineData(30 * 86400, "30d")]
    public void Ages_print_like_kubectl(int seconds, string expected) =>
        Assert.Equal(expected, Age.Human(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("busybox", "Always")]
    [InlineData("busybox:latest", "Always")]
    [InlineData("busybox:1.35", "IfNotPresent")]
    [InlineData("localhost:5000/busybox", "Always")]
    [InlineData("localhost:5000/busybox:1.35", "IfNotPresent")]
    [InlineData("busybox@sha256:abc", "IfNotPresent")]
    public void Image_pull_policy_defaults_from_the_tag(string image, string policy) =>
        Assert.Equal(policy, PodStrategy.ImagePullPolicyFor(image));
}
