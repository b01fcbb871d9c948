using k8s.Models;
using Navarch.ApiServer.Authorization.Rbac;

namespace Navarch.ApiServer.Tests.Authorization.Rbac;

/// <summary>Kubernetes' Covers cases (component-helpers/auth/rbac/validation policy_comparator_test.go), as a table.</summary>
[Trait("Category", "Unit")]
public sealed class PolicyComparatorTests
{
    private static V1PolicyRule R(string[]? groups = null, string[]? verbs = null, string[]? resources = null, string[]? names = null, string[]? urls = null) =>
        new() { ApiGroups = groups, Verbs = verbs, Resources = resources, ResourceNames = names, NonResourceURLs = urls };

    public static TheoryData<string, V1PolicyRule[], V1PolicyRule[], V1PolicyRule[]> Cases => new()
    {
        { "exact match", [R(["v1"], ["get"], ["builds"])], [R(["v1"], ["get"], ["builds"])], [] },
        { "subresource wildcard", [R(["v1"], ["get"], ["*/scale"])], [R(["v1"], ["get"], ["foo/scale"])], [] },
        {
            "multiple rules covering a single rule",
            [R(["v1"], ["delete"], ["deployments"]), R(["v1"], ["delete"], ["builds"]), R(["v1"], ["update"], ["builds", "deployments"])],
            [R(["v1"], ["delete", "update"], ["builds", "deployments"])],
            []
        },
        {
            "one rule of two groups covering many",
            [R(["group1", "group2"], ["delete", "update"], ["builds", "deployments"])],
            [R(["group1"], ["delete"], ["deployments"]), R(["group2"], ["update"], ["builds", "deployments"])],
            []
        },
        {
            "multiple rules missing one verb/resource",
            [R(["v1"], ["delete", "update"], ["builds", "deployments"]), R(["v1"], ["delete"], ["pods"])],
            [R(["v1"], ["delete", "update"], ["builds", "deployments", "pods"])],
            [R(["v1"], ["update"], ["pods"])]
        },
        { "group star covering many", [R(["*"], ["get"], ["roles"])], [R(["group1", "group2"], ["get"], ["roles"])], [] },
        { "enumeration not covering group star", [R(["dummy-group"], ["get"], ["roles"])], [R(["*"], ["get"], ["roles"])], [R(["*"], ["get"], ["roles"])] },
        { "group star covering star", [R(["*"], ["get"], ["roles"])], [R(["*"], ["get"], ["roles"])], [] },
        { "verb star covering many", [R(["v1"], ["*"], ["roles"])], [R(["v1"], ["watch", "list"], ["roles"])], [] },
        {
            "enumeration not covering verb star",
            [R(["v1"], ["get", "list", "watch", "create", "update", "delete", "exec"], ["roles"])],
            [R(["v1"], ["*"], ["roles"])],
            [R(["v1"], ["*"], ["roles"])]
        },
        { "resource star covering many", [R(["v1"], ["get"], ["*"])], [R(["v1"], ["get"], ["resourcegroup:deployments"])], [] },
        { "enumeration not covering resource star", [R(["v1"], ["get"], ["roles", "resourcegroup:deployments"])], [R(["v1"], ["get"], ["*"])], [R(["v1"], ["get"], ["*"])] },
        { "no names covering names", [R(["v1"], ["get"], ["pods"], [])], [R(["v1"], ["get"], ["pods"], ["foo", "bar"])], [] },
        { "names not covering no names", [R(["v1"], ["get"], ["pods"], ["foo", "bar"])], [R(["v1"], ["get"], ["pods"], [])], [R(["v1"], ["get"], ["pods"])] },
        { "non-resource URLs", [R(verbs: ["*"], urls: ["/apis"])], [R(verbs: ["*"], urls: ["/apis"])], [] },
        { "non-resource URL star", [R(verbs: ["*"], urls: ["*"])], [R(verbs: ["*"], urls: ["/apis", "/apis/v1", "/"])], [] },
        { "prefix star does not cover the prefix", [R(verbs: ["*"], urls: ["/apis/*"])], [R(verbs: ["get"], urls: ["/apis", "/apis/v1"])], [R(verbs: ["get"], urls: ["/apis"])] },
        { "prefix star", [R(verbs: ["*"], urls: ["/apis/*"])], [R(verbs: ["get"], urls: ["/apis/v1/foo", "/apis/v1"])], [] },
        { "URLs with other fields", [R(["v1"], ["get"], ["builds"], urls: ["/apis"])], [R(["v1"], ["get"], ["builds"], urls: ["/apis"])], [] },
        { "URLs with other fields, failing", [R(["v1"], ["get"], ["builds"])], [R(["v1"], ["get"], ["builds"], urls: ["/apis"])], [R(verbs: ["get"], urls: ["/apis"])] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Covers_finds_exactly_the_atoms_the_owner_lacks(string name, V1PolicyRule[] owner, V1PolicyRule[] servant, V1PolicyRule[] uncovered)
    {
        (bool covers, List<V1PolicyRule> missing) = PolicyComparator.Covers(owner, servant);
        Assert.True(covers == (uncovered.Length == 0), name);
        Assert.Equal(uncovered.Select(PolicyRuleFormat.CompactString).Order(StringComparer.Ordinal), missing.Select(PolicyRuleFormat.CompactString).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "/", true)]
    [InlineData("*", "/api", true)]
    [InlineData("/*", "", false)]
    [InlineData("/*", "/", true)]
    [InlineData("/*", "/foo", true)]
    [InlineData("/api", "/api", true)]
    [InlineData("/apis", "/api", false)]
    [InlineData("/api/v1", "/api", false)]
    [InlineData("/api/v1", "/api/v1", true)]
    [InlineData("/api/*", "/api/v1", true)]
    [InlineData("/api/*", "/api", false)]
    [InlineData("/api/*/*", "/api/v1", false)]
    [InlineData("/*/v1/*", "/api/v1", false)]
    public void A_non_resource_URL_covers_itself_and_what_its_star_prefixes(string owner, string requested, bool covers) =>
        Assert.Equal(covers, PolicyComparator.Covers([R(verbs: ["get"], urls: [owner])], [R(verbs: ["get"], urls: [requested])]).Covers);
}
