using k8s.Models;
using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Authorization.Rbac;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Authorization.Rbac;

/// <summary>The RBAC authorizer's RuleAllows (plugin/pkg/auth/authorizer/rbac and rbac/v1 evaluation_helpers).</summary>
[Trait("Category", "Unit")]
public sealed class RuleMatchingTests
{
    private static readonly UserInfo User = new("u", "", ["system:authenticated"]);

    private static RequestAttributes Resource(string verb, string group, string resource, string? sub = null, string? name = null) =>
        new(User, verb, group, resource, sub, "ns", name);

    private static readonly Dictionary<string, (V1PolicyRule Rule, RequestAttributes Request, bool Allowed)> Table = new()
    {
        ["exact"] = (new V1PolicyRule { Verbs = ["get"], ApiGroups = [""], Resources = ["pods"] }, Resource("get", "", "pods"), true),
        ["other verb"] = (new V1PolicyRule { Verbs = ["get"], ApiGroups = [""], Resources = ["pods"] }, Resource("list", "", "pods"), false),
        ["other group"] = (new V1PolicyRule { Verbs = ["get"], ApiGroups = ["apps"], Resources = ["pods"] }, Resource("get", "", "pods"), false),
        ["stars"] = (new V1PolicyRule { Verbs = ["*"], ApiGroups = ["*"], Resources = ["*"] }, Resource("escalate", "rbac.authorization.k8s.io", "roles"), true),
        ["resource does not grant its subresource"] = (new V1PolicyRule { Verbs = ["create"], ApiGroups = [""], Resources = ["pods"] }, Resource("create", "", "pods", "exec"), false),
        ["subresource"] = (new V1PolicyRule { Verbs = ["create"], ApiGroups = [""], Resources = ["pods/exec"] }, Resource("create", "", "pods", "exec"), true),
        ["*/subresource"] = (new V1PolicyRule { Verbs = ["get"], ApiGroups = ["*"], Resources = ["*/scale"] }, Resource("get", "apps", "deployments", "scale"), true),
        ["*/subresource is not the resource"] = (new V1PolicyRule { Verbs = ["get"], ApiGroups = ["*"], Resources = ["*/scale"] }, Resource("get", "apps", "deployments"), false),
        ["named"] = (new V1PolicyRule { Verbs = ["get"], ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["a"] }, Resource("get", "", "configmaps", name: "a"), true),
        ["names do not grant a list"] = (new V1PolicyRule { Verbs = ["list"], ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["a"] }, Resource("list", "", "configmaps"), false),
        ["userextras/<key>"] = (new V1PolicyRule { Verbs = ["impersonate"], ApiGroups = ["authentication.k8s.io"], Resources = ["userextras/scopes"] }, Resource("impersonate", "authentication.k8s.io", "userextras", "scopes", "view"), true),
        ["URL"] = (new V1PolicyRule { Verbs = ["get"], NonResourceURLs = ["/healthz"] }, new(User, "get", "", "", null, null, null, "/healthz"), true),
        ["URL prefix"] = (new V1PolicyRule { Verbs = ["get"], NonResourceURLs = ["/apis/*"] }, new(User, "get", "", "", null, null, null, "/apis/apps/v1"), true),
        ["URL rule is not a resource rule"] = (new V1PolicyRule { Verbs = ["get"], NonResourceURLs = ["*"] }, Resource("get", "", "pods"), false),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_rule_allows_what_Kubernetes_lets_it(string name) =>
        Assert.Equal(Table[name].Allowed, RuleMatching.Allows(Table[name].Rule, Table[name].Request));
}
