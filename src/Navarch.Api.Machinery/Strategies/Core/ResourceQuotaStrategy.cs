using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 ResourceQuota.</summary>
internal static class ResourceQuotaStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1ResourceQuota> Create() => new() { HasStatus = true, Validation = Validate };

    /// <summary>ValidateResourceQuota: hard limits are not negative, and whole for counted resources.</summary>
    private static IEnumerable<FieldError> Validate(V1ResourceQuota quota) =>
        (quota.Spec?.Hard ?? new Dictionary<string, ResourceQuantity>()).SelectMany(kv => QuantityValidation.Value(kv.Key, kv.Value, $"spec.hard[{kv.Key}]"));
}
