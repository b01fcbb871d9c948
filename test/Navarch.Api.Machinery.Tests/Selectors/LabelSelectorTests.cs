using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Api.Machinery.Tests.Selectors;

[Trait("Category", "Unit")]
public sealed class LabelSelectorTests
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

    public static TheoryData<string, V1LabelSelector, bool, string> ModelCases => new()
    {
        { "empty selects everything", new V1LabelSelector(), true, "<none>" },
        { "matchLabels", new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["tier"] = "front", ["app"] = "web" } }, true, "app=web,tier=front" },
        { "matchLabels miss", new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "api" } }, false, "app=api" },
        { "In", Expression("app", "In", "web", "api"), true, "app in (web,api)" },
        { "In without values", Expression("app", "In"), false, "app in ()" },
        { "NotIn", Expression("app", "NotIn", "web"), false, "app notin (web)" },
        { "NotIn of a missing key", Expression("missing", "NotIn", "x"), true, "missing notin (x)" },
        { "Exists", Expression("tier", "Exists"), true, "tier" },
        { "DoesNotExist", Expression("tier", "DoesNotExist"), false, "!tier" },
        { "unknown operator", Expression("app", "Gt", "1"), false, "!app" },
    };

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void Model_selectors_match_and_print_like_kubernetes(string name, V1LabelSelector selector, bool matches, string printed)
    {
        Assert.True(matches == selector.Matches(Labels), name);
        Assert.Equal(printed, selector.Format());
    }

    private static V1LabelSelector Expression(string key, string op, params string[] values) =>
        new() { MatchExpressions = [new V1LabelSelectorRequirement { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values }] };
}
