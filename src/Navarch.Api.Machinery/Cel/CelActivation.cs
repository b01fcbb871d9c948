namespace Navarch.Api.Cel;

/// <summary>The variables of one evaluation; each lookup the package makes costs one unit (and checks the deadline).</summary>
internal sealed class CelActivation : Dictionary<string, object?>, IDictionary<string, object?>
{
    public CelActivation(int capacity)
        : base(capacity, StringComparer.Ordinal)
    {
    }

    bool IDictionary<string, object?>.TryGetValue(string key, out object? value)
    {
        CelCostMeter.Charge(1);
        return TryGetValue(key, out value);
    }
}
