using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Quota;

/// <summary>Kubernetes' quota/v1 resource-list arithmetic over named quantities (a ResourceList).</summary>
public static class ResourceLists
{
    /// <summary>A list read from the API's form.</summary>
    public static Dictionary<string, Quantity> From(IDictionary<string, ResourceQuantity>? list) =>
        (list ?? new Dictionary<string, ResourceQuantity>()).ToDictionary(kv => kv.Key, kv => kv.Value.ToQuantity(), StringComparer.Ordinal);

    /// <summary>The API's form of <paramref name="list"/>.</summary>
    public static Dictionary<string, ResourceQuantity> ToApi(IReadOnlyDictionary<string, Quantity> list) =>
        list.ToDictionary(kv => kv.Key, kv => kv.Value.ToResourceQuantity(), StringComparer.Ordinal);

    /// <summary>The sum of both, name by name.</summary>
    public static Dictionary<string, Quantity> Add(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b)
    {
        var result = new Dictionary<string, Quantity>(a, StringComparer.Ordinal);
        foreach ((string name, Quantity value) in b)
        {
            result[name] = result.TryGetValue(name, out Quantity existing) ? existing.Add(value) : value;
        }

        return result;
    }

    /// <summary>a - b per name of <paramref name="a"/>, never below zero (SubtractWithNonNegativeResult).</summary>
    public static Dictionary<string, Quantity> SubtractNonNegative(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b)
    {
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach ((string name, Quantity value) in a)
        {
            Quantity difference = b.TryGetValue(name, out Quantity other) ? Quantity.FromNanos(value.Nanos - other.Nanos, value.Format) : value;
            result[name] = difference.Sign < 0 ? Quantity.Zero : difference;
        }

        return result;
    }

    /// <summary>The entries of <paramref name="list"/> whose names are in <paramref name="names"/>.</summary>
    public static Dictionary<string, Quantity> Mask(IReadOnlyDictionary<string, Quantity> list, IEnumerable<string> names)
    {
        var keep = names.ToHashSet(StringComparer.Ordinal);
        return list.Where(kv => keep.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    /// <summary>The names of <paramref name="a"/> whose value exceeds <paramref name="b"/>'s (a name missing from b is not limited).</summary>
    public static List<string> Exceeding(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b) =>
        a.Where(kv => b.TryGetValue(kv.Key, out Quantity limit) && kv.Value > limit).Select(kv => kv.Key).ToList();

    /// <summary>True when both hold the same names with equal values.</summary>
    public static bool Equal(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out Quantity other) && other == kv.Value);

    /// <summary>Kubernetes' prettyPrint: <c>name=value</c> sorted by name, comma-separated.</summary>
    public static string PrettyPrint(IReadOnlyDictionary<string, Quantity> list) =>
        string.Join(",", list.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
}
