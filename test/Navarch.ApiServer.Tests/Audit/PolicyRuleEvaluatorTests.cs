using Navarch.ApiServer.Audit;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>Kubernetes' audit policy checker cases (k8s.io/apiserver pkg/audit/policy checker_test.go) as a table.</summary>
[Trait("Category", "Unit")]
public sealed class PolicyRuleEvaluatorTests
{
    private static readonly UserInfo Tim = new("tim@k8s.io", "", ["humans", "developers"]);

    private static readonly Dictionary<string, AuditAttributes> Requests = new()
    {
        ["namespaced"] = new(Tim, "get", true, "/api/v1/namespaces/default/pods/busybox", "", "v1", "pods", "", "default", "busybox"),
        ["cluster"] = new(Tim, "get", true, "/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/edit", "rbac.authorization.k8s.io", "v1beta1", "clusterroles", "", "", "edit"),
        ["nonResource"] = new(Tim, "get", false, "/logs/kubelet.log"),
        ["subresource"] = new(Tim, "get", true, "/api/v1/namespaces/default/pods/busybox", "", "v1", "pods", "log", "default", "busybox"),
        ["Unauthorized"] = new(null, "get", true, "/api/v1/namespaces/default/pods/busybox", "", "v1", "pods", "", "default", "busybox"),
    };

    private static readonly Dictionary<string, PolicyRule> Rules = new()
    {
        ["default"] = Rule(AuditLevel.Metadata),
        ["create"] = Rule(AuditLevel.Request) with { Verbs = ["create"] },
        ["tims"] = Rule(AuditLevel.Metadata) with { Users = ["tim@k8s.io"] },
        ["humans"] = Rule(AuditLevel.Metadata) with { UserGroups = ["humans"] },
        ["serviceAccounts"] = Rule(AuditLevel.Request) with { UserGroups = ["system:serviceaccounts"] },
        ["getPods"] = Rule(AuditLevel.RequestResponse) with { Verbs = ["get"], Resources = [new("", ["pods"], [])] },
        ["getPodLogs"] = Rule(AuditLevel.Request) with { Verbs = ["get"], Resources = [new("", ["pods/log"], [])] },
        ["getPodWildcardMatching"] = Rule(AuditLevel.Request) with { Verbs = ["get"], Resources = [new("", ["*"], [])] },
        ["getPodResourceWildcardMatching"] = Rule(AuditLevel.Request) with { Verbs = ["get"], Resources = [new("", ["*/log"], [])] },
        ["getPodSubResourceWildcardMatching"] = Rule(AuditLevel.Request) with { Verbs = ["get"], Resources = [new("", ["pods/*"], [])] },
        ["getClusterRoles"] = Rule(AuditLevel.RequestResponse) with { Verbs = ["get"], Resources = [new("rbac.authorization.k8s.io", ["clusterroles"], [])], Namespaces = [""] },
        ["getLogs"] = Rule(AuditLevel.RequestResponse) with { Verbs = ["get"], NonResourceUrls = ["/logs*"] },
        ["getMetrics"] = Rule(AuditLevel.Request) with { Verbs = ["get"], NonResourceUrls = ["/metrics"] },
        ["clusterRoleEdit"] = Rule(AuditLevel.Request) with { Resources = [new("rbac.authorization.k8s.io", ["clusterroles"], ["edit"])] },
        ["omit RequestReceived"] = Rule(AuditLevel.Request) with { OmitStages = [AuditStage.RequestReceived] },
        ["only audit panic"] = Rule(AuditLevel.Request) with { OmitStages = [AuditStage.RequestReceived, AuditStage.ResponseStarted, AuditStage.ResponseComplete] },
    };

    /// <summary>checker_test.go's testAuditLevel: request, expected level, the rules in order.</summary>
    public static TheoryData<string, string, string[]> Levels => new()
    {
        { "namespaced", "Metadata", ["default"] },
        { "namespaced", "None", ["create"] },
        { "namespaced", "Metadata", ["tims"] },
        { "namespaced", "Metadata", ["humans"] },
        { "namespaced", "None", ["serviceAccounts"] },
        { "namespaced", "RequestResponse", ["getPods"] },
        { "namespaced", "None", ["getClusterRoles"] },
        { "namespaced", "None", ["getLogs"] },
        { "namespaced", "None", ["getMetrics"] },
        { "namespaced", "Metadata", ["getMetrics", "serviceAccounts", "default"] },
        { "namespaced", "RequestResponse", ["getMetrics", "getPods", "default"] },
        { "namespaced", "RequestResponse", ["getPodLogs", "getPods"] },
        { "cluster", "Metadata", ["default"] },
        { "cluster", "None", ["create"] },
        { "cluster", "Metadata", ["tims"] },
        { "cluster", "Metadata", ["humans"] },
        { "cluster", "None", ["serviceAccounts"] },
        { "cluster", "None", ["getPods"] },
        { "cluster", "RequestResponse", ["getClusterRoles"] },
        { "cluster", "Request", ["clusterRoleEdit", "getClusterRoles"] },
        { "cluster", "None", ["getLogs"] },
        { "cluster", "None", ["getMetrics"] },
        { "cluster", "Metadata", ["getMetrics", "serviceAccounts", "default"] },
        { "cluster", "RequestResponse", ["getMetrics", "getClusterRoles", "default"] },
        { "cluster", "None", ["getPodLogs", "getPods"] },
        { "nonResource", "Metadata", ["default"] },
        { "nonResource", "None", ["create"] },
        { "nonResource", "Metadata", ["tims"] },
        { "nonResource", "Metadata", ["humans"] },
        { "nonResource", "None", ["serviceAccounts"] },
        { "nonResource", "None", ["getPods"] },
        { "nonResource", "None", ["getClusterRoles"] },
        { "nonResource", "RequestResponse", ["getLogs"] },
        { "nonResource", "None", ["getMetrics"] },
        { "nonResource", "Metadata", ["getMetrics", "serviceAccounts", "default"] },
        { "nonResource", "RequestResponse", ["getLogs", "getClusterRoles", "default"] },
        { "nonResource", "None", ["getPodLogs", "getPods"] },
        { "subresource", "Request", ["getPodLogs", "getPods"] },
        { "subresource", "Request", ["getPodWildcardMatching"] },
        { "subresource", "Request", ["getPodResourceWildcardMatching"] },
        { "subresource", "Request", ["getPodSubResourceWildcardMatching"] },
        { "Unauthorized", "None", ["tims"] },
        { "Unauthorized", "Metadata", ["tims", "default"] },
        { "Unauthorized", "None", ["humans"] },
        { "Unauthorized", "Metadata", ["humans", "default"] },
    };

    /// <summary>Per-rule omitted stages joined with the policy's (TestChecker, TestCheckerPolicyOmitStages).</summary>
    public static TheoryData<string, string[], string, string[], string[]> Stages => new()
    {
        { "namespaced", [], "Request", ["RequestReceived"], ["omit RequestReceived", "getPods", "default"] },
        { "namespaced", [], "Request", ["RequestReceived", "ResponseStarted", "ResponseComplete"], ["only audit panic", "getPods", "default"] },
        { "cluster", [], "Request", ["RequestReceived"], ["omit RequestReceived", "getPods", "default"] },
        { "nonResource", [], "Request", ["RequestReceived"], ["omit RequestReceived", "getPods", "default"] },
        { "namespaced", ["RequestReceived", "ResponseStarted"], "Request", ["RequestReceived", "ResponseStarted"], ["omit RequestReceived", "getPods", "default"] },
        { "namespaced", ["RequestReceived", "ResponseStarted"], "Request", ["RequestReceived", "ResponseStarted", "ResponseComplete"], ["only audit panic", "getPods", "default"] },
        { "nonResource", ["RequestReceived", "ResponseStarted"], "Metadata", ["RequestReceived", "ResponseStarted"], ["default", "omit RequestReceived", "getPods"] },
        { "namespaced", ["RequestReceived", "ResponseStarted"], "RequestResponse", ["RequestReceived", "ResponseStarted"], ["getPods"] },
        // No rule matches: no event, and the policy's stages.
        { "namespaced", ["Panic"], "None", ["Panic"], ["create"] },
    };

    [Theory]
    [MemberData(nameof(Levels))]
    public void The_first_matching_rule_gives_the_level(string request, string level, string[] rules)
    {
        RequestAuditConfig config = new PolicyRuleEvaluator(new Policy([.. rules.Select(r => Rules[r])], [])).Evaluate(Requests[request]);
        Assert.Equal(level, config.Level.ToString());
        Assert.Empty(config.OmitStages);
    }

    [Theory]
    [MemberData(nameof(Stages))]
    public void Omitted_stages_are_the_rules_and_the_policys(string request, string[] policyStages, string level, string[] omitted, string[] rules)
    {
        RequestAuditConfig config = new PolicyRuleEvaluator(new Policy([.. rules.Select(r => Rules[r])], [.. policyStages.Select(Enum.Parse<AuditStage>)])).Evaluate(Requests[request]);
        Assert.Equal(level, config.Level.ToString());
        Assert.Equal(omitted.ToHashSet(), config.OmitStages.Select(s => s.ToString()).ToHashSet());
    }

    /// <summary>TestOmitManagedFields: the policy's default unless the matching rule says otherwise.</summary>
    [Theory]
    [InlineData(false, null, false)]
    [InlineData(true, null, true)]
    [InlineData(true, false, false)]
    [InlineData(false, true, true)]
    public void A_rule_overrides_the_policys_omitManagedFields(bool policy, bool? rule, bool omitted)
    {
        var get = new AuditAttributes(null, "get", false, "");
        PolicyRule matching = Rule(AuditLevel.RequestResponse) with { Verbs = ["get"], OmitManagedFields = rule };
        Assert.Equal(omitted, new PolicyRuleEvaluator(new Policy([matching], [], policy)).Evaluate(get).OmitManagedFields);
    }

    [Theory]
    [InlineData("/logs/kubelet.log", "*", true)]
    [InlineData("/logs/kubelet.log", "/logs/kubelet.log", true)]
    [InlineData("/logs/kubelet.log", "/logs*", true)]
    [InlineData("/logs/kubelet.log", "/logs/*", true)]
    [InlineData("/logs", "/logs/*", false)]
    [InlineData("/metrics", "/logs*", false)]
    public void Non_resource_urls_match_exactly_or_by_a_trailing_star(string path, string spec, bool matches) =>
        Assert.Equal(matches, PolicyRuleEvaluator.PathMatches(path, spec));

    [Fact]
    public void A_namespace_object_is_in_its_own_namespace_and_a_list_by_name_names_its_object()
    {
        RequestInfo Parse(string method, string target)
        {
            var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            http.Request.Method = method;
            string[] parts = target.Split('?');
            http.Request.Path = parts[0];
            http.Request.QueryString = parts.Length > 1 ? new Microsoft.AspNetCore.Http.QueryString("?" + parts[1]) : default;
            return RequestInfoFactory.Parse(http.Request);
        }

        AuditAttributes ns = AuditAttributes.From(Parse("DELETE", "/api/v1/namespaces/team"), Tim);
        Assert.Equal(("namespaces", "team", "team", "delete"), (ns.Resource, ns.Namespace, ns.Name, ns.Verb));
        AuditAttributes pinned = AuditAttributes.From(Parse("GET", "/api/v1/namespaces/team/secrets?watch=1&fieldSelector=metadata.name%3Dtoken"), Tim);
        Assert.Equal(("secrets", "team", "token", "watch"), (pinned.Resource, pinned.Namespace, pinned.Name, pinned.Verb));
        var onlyTeam = Rule(AuditLevel.Request) with { Namespaces = ["team"] };
        Assert.True(PolicyRuleEvaluator.RuleMatches(onlyTeam, ns));
    }

    private static PolicyRule Rule(AuditLevel level) => new(level, [], [], [], [], [], [], []);
}
