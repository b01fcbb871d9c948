using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 ResourceQuota.</summary>
internal static class ResourceQuotaStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1ResourceQuota> Create() => new() { HasStatus = true, Validation = Validate };

    /// <summary>ValidateResourceQuota: hard limits are not negative.</summary>
    private static IEnumerable<FieldError> Validate(V1ResourceQuota quota)
    {
        foreach ((string resource, ResourceQuantity value) in quota.Spec?.Hard ?? new Dictionary<string, ResourceQuantity>())
        {
            if (value.ToDecimal() < 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.hard[{resource}]", value.ToString(), "must be greater than or equal to 0");
            }
        }
    }
}
