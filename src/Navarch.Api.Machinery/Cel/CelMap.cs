namespace Navarch.Api.Cel;

/// <summary>A map from the input as the package sees it; visiting its keys (comprehensions, equality) costs one unit each.</summary>
internal sealed class CelMap : Dictionary<string, object?>, IDictionary<string, object?>
{
    public CelMap(int capacity)
        : base(capacity, StringComparer.Ordinal)
    {
    }

    ICollection<string> IDictionary<string, object?>.Keys
    {
        get
        {
            CelCostMeter.Charge(Count);
            return Keys;
        }
    }

    ICollection<object?> IDictionary<string, object?>.Values
    {
        get
        {
            CelCostMeter.Charge(Count);
            return Values;
        }
    }
}
