using k8s.Models;
using Navarch.ApiServer.Authorization.Rbac;

namespace Navarch.ApiServer.Tests.Authorization.Rbac;

/// <summary>
/// The escalation error's parts: rbacv1helpers.CompactString, Go's %q, and CompactRules merging the verbs of the missing
/// atoms per group/resource (policy_compact_test.go).
/// </summary>
[Trait("Category", "Unit")]
public sealed class PolicyRuleFormatTests
{
    [Fact]
    public void CompactString_prints_only_the_fields_set_in_Kubernetes_order()
    {
        Assert.Equal("{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}", PolicyRuleFormat.CompactString(new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get"] }));
        Assert.Equal("{NonResourceURLs:[\"/healthz\" \"/livez\"], Verbs:[\"get\"]}", PolicyRuleFormat.CompactString(new V1PolicyRule { NonResourceURLs = ["/healthz", "/livez"], Verbs = ["get"] }));
        Assert.Equal(
            "{APIGroups:[\"apps\"], Resources:[\"deployments\"], ResourceNames:[\"web\"], Verbs:[\"update\" \"patch\"]}",
            PolicyRuleFormat.CompactString(new V1PolicyRule { ApiGroups = ["apps"], Resources = ["deployments"], ResourceNames = ["web"], Verbs = ["update", "patch"] }));
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("back\\slash", "\"back\\\\slash\"")]
    [InlineData("line\nbreak", "\"line\\nbreak\"")]
    [InlineData("bell\u0001", "\"bell\\x01\"")]
    [InlineData("ünïcode", "\"ünïcode\"")]
    public void Quote_is_Go_percent_q(string value, string quoted) => Assert.Equal(quoted, PolicyRuleFormat.Quote(value));

    [Fact]
    public void Quote_of_a_list_is_space_separated_in_brackets()
    {
        Assert.Equal("[\"a\" \"system:authenticated\"]", PolicyRuleFormat.Quote(["a", "system:authenticated"]));
        Assert.Equal("[]", PolicyRuleFormat.Quote(Array.Empty<string>()));
    }

    [Fact]
    public void CompactRules_merges_the_verbs_of_simple_rules_per_group_and_resource_and_keeps_the_rest()
    {
        V1PolicyRule withNames = new() { ApiGroups = [""], Resources = ["pods"], ResourceNames = ["p"], Verbs = ["get"] };
        V1PolicyRule url = new() { NonResourceURLs = ["/x"], Verbs = ["get"] };
        List<V1PolicyRule> compacted = PolicyRuleCompactor.Compact(
        [
            new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get"] },
            withNames,
            new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["list"] },
            url,
            new V1PolicyRule { ApiGroups = ["apps"], Resources = ["secrets"], Verbs = ["get"] },
            new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["watch"] },
        ]);
        Assert.Equal(
        [
            PolicyRuleFormat.CompactString(withNames),
            PolicyRuleFormat.CompactString(url),
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"watch\"]}",
            "{APIGroups:[\"apps\"], Resources:[\"secrets\"], Verbs:[\"get\"]}",
        ], compacted.Select(PolicyRuleFormat.CompactString));
    }

    [Fact]
    public void Missing_rules_of_a_Covers_check_read_as_the_escalation_error_lists_them()
    {
        (_, List<V1PolicyRule> missing) = PolicyComparator.Covers(
            [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["*"] }],
            [new V1PolicyRule { ApiGroups = ["", "apps"], Resources = ["pods", "secrets"], Verbs = ["get", "list"] }]);
        Assert.Equal(
        [
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}",
            "{APIGroups:[\"apps\"], Resources:[\"pods\"], Verbs:[\"get\" \"list\"]}",
            "{APIGroups:[\"apps\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}",
        ], PolicyRuleCompactor.Compact(missing).Select(PolicyRuleFormat.CompactString).Order(StringComparer.Ordinal));
    }
}
