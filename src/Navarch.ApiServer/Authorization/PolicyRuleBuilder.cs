using k8s.Models;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// rbacv1helpers.NewRule: a rule written as <c>NewRule("get", "list").Groups("").Resources("pods")</c>, each list
/// sorted as Kubernetes sorts the rules of its bootstrap policy.
/// </summary>
internal sealed class PolicyRuleBuilder(string[] verbs)
{
    private readonly V1PolicyRule _rule = new() { Verbs = Sorted(verbs) };

    public static PolicyRuleBuilder NewRule(params string[] verbs) => new(verbs);

    public static implicit operator V1PolicyRule(PolicyRuleBuilder builder) => builder?.Rule ?? throw new ArgumentNullException(nameof(builder));

    public V1PolicyRule Rule => _rule;

    public PolicyRuleBuilder Groups(params string[] groups)
    {
        _rule.ApiGroups = Sorted(groups);
        return this;
    }

    public PolicyRuleBuilder Resources(params string[] resources)
    {
        _rule.Resources = Sorted(resources);
        return this;
    }

    public PolicyRuleBuilder Names(params string[] names)
    {
        _rule.ResourceNames = Sorted(names);
        return this;
    }

    public PolicyRuleBuilder Urls(params string[] urls)
    {
        _rule.NonResourceURLs = Sorted(urls);
        return this;
    }

    private static List<string> Sorted(string[] values) => [.. values.Order(StringComparer.Ordinal)];
}
