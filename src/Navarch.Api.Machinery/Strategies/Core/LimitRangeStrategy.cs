using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 LimitRange.</summary>
internal static class LimitRangeStrategy
{
    private static readonly SupportedValues LimitTypes = new("Container", "PersistentVolumeClaim", "Pod");

    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1LimitRange> Create() => new() { Defaults = Default, Validation = Validate };

    /// <summary>
    /// SetDefaults_LimitRangeItem, for Container items: the default limit falls back to max, the default request to the
    /// default limit and then to min, so LimitRanger has a request to give every container it gives a limit.
    /// </summary>
    private static void Default(V1LimitRange range)
    {
        foreach (V1LimitRangeItem item in (range.Spec?.Limits ?? []).Where(i => i.Type == "Container"))
        {
            item.DefaultProperty ??= new Dictionary<string, ResourceQuantity>();
            item.DefaultRequest ??= new Dictionary<string, ResourceQuantity>();
            foreach ((string name, ResourceQuantity value) in item.Max ?? new Dictionary<string, ResourceQuantity>())
            {
                item.DefaultProperty.TryAdd(name, value);
            }

            foreach ((string name, ResourceQuantity value) in item.DefaultProperty.Concat(item.Min ?? new Dictionary<string, ResourceQuantity>()).ToList())
            {
                item.DefaultRequest.TryAdd(name, value);
            }
        }
    }

    /// <summary>ValidateLimitRange: the limit types, and min ≤ max and default ≤ max per resource.</summary>
    private static IEnumerable<FieldError> Validate(V1LimitRange range)
    {
        IList<V1LimitRangeItem> limits = range.Spec?.Limits ?? [];
        for (int i = 0; i < limits.Count; i++)
        {
            string at = $"spec.limits[{i}]";
            if (LimitTypes.Check(at + ".type", limits[i].Type ?? "") is { } badType)
            {
                yield return badType;
            }

            foreach ((string field, IDictionary<string, ResourceQuantity>? values) in new[] { ("max", limits[i].Max), ("min", limits[i].Min), ("default", limits[i].DefaultProperty), ("defaultRequest", limits[i].DefaultRequest) })
            {
                foreach ((string resource, ResourceQuantity value) in values ?? new Dictionary<string, ResourceQuantity>())
                {
                    foreach (FieldError error in QuantityValidation.Value(resource, value, $"{at}.{field}[{resource}]"))
                    {
                        yield return error;
                    }

                    Quantity q = value.ToQuantity();
                    if (field is "min" or "default" && limits[i].Max?.TryGetValue(resource, out ResourceQuantity? max) == true && q > max.ToQuantity())
                    {
                        yield return new FieldError(FieldErrorType.Invalid, $"{at}.{field}[{resource}]", q.ToString(), $"{field} value {q} is greater than max value {max.ToQuantity()}");
                    }
                }
            }
        }
    }
}
