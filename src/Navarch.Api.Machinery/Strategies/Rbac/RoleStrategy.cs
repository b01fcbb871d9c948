using System.Globalization;
using k8s;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Rbac;

/// <summary>rbac.authorization.k8s.io/v1 Role and ClusterRole.</summary>
internal static class RoleStrategy
{
    private static readonly TableColumn CreatedAt = new("Created At", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.");

    /// <summary>The strategy of a role kind whose rules <paramref name="rules"/> reads.</summary>
    public static ResourceStrategy<T> Create<T>(Func<T, IList<V1PolicyRule>?> rules)
        where T : class, IKubernetesObject<V1ObjectMeta> => new()
    {
        NameRule = NameRule.PathSegment,
        Validation = r => ValidateRules(rules(r)),
        Columns = [CreatedAt],
        Cells = (r, _) => [r.Metadata.CreationTimestamp?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)],
    };

    /// <summary>ValidatePolicyRule: every rule needs verbs, and resource rules need API groups.</summary>
    private static IEnumerable<FieldError> ValidateRules(IList<V1PolicyRule>? rules)
    {
        for (int i = 0; i < (rules?.Count ?? 0); i++)
        {
            V1PolicyRule rule = rules![i];
            if (rule.Verbs is not { Count: > 0 })
            {
                yield return new FieldError(FieldErrorType.Required, $"rules[{i}].verbs", null, "verbs must contain at least one value");
            }

            if (rule.Resources is { Count: > 0 } && rule.ApiGroups is not { Count: > 0 })
            {
                yield return new FieldError(FieldErrorType.Required, $"rules[{i}].apiGroups", null, "resource rules must supply at least one api group");
            }
        }
    }
}
