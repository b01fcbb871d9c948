using System.Runtime.CompilerServices;
using k8s.Models;

namespace Navarch.Api.Quantities;

/// <summary>
/// The bridge between <see cref="Quantity"/> and the client's <see cref="ResourceQuantity"/>, whose own parsing and
/// arithmetic are unbounded (a BigInteger fraction: <c>1e999999999</c> takes gigabytes, and <c>ToDecimal</c> throws
/// past 7.9e28). Every quantity Navarch reads comes through <see cref="ResourceQuantityJsonConverter"/>, which parses
/// the text with <see cref="Quantity"/> first and remembers it here, so components compute on the bounded value.
/// </summary>
public static class ResourceQuantities
{
    private static readonly ConditionalWeakTable<ResourceQuantity, Box> Parsed = new();

    /// <summary>
    /// A client quantity for <paramref name="quantity"/>, built from its canonical text (which the client parses in
    /// bounded time) and remembered, so it is written back and read as <paramref name="quantity"/>.
    /// </summary>
    public static ResourceQuantity ToResourceQuantity(this Quantity quantity)
    {
        var result = new ResourceQuantity(quantity.Canonical);
        Parsed.AddOrUpdate(result, new Box(quantity));
        return result;
    }

    /// <summary>
    /// The bounded value of a client quantity: the one it was read as, or (for one made in code) its value through
    /// decimal, capped at 2^63-1 in magnitude. Never throws, never spins.
    /// </summary>
    public static Quantity ToQuantity(this ResourceQuantity? quantity)
    {
        if (quantity is null)
        {
            return Quantity.Zero;
        }

        if (Parsed.TryGetValue(quantity, out Box? box))
        {
            return box.Value;
        }

        QuantityFormat format = quantity.Format switch
        {
            ResourceQuantity.SuffixFormat.BinarySI => QuantityFormat.BinarySI,
            ResourceQuantity.SuffixFormat.DecimalSI => QuantityFormat.DecimalSI,
            _ => QuantityFormat.DecimalExponent,
        };
        try
        {
            decimal value = quantity.ToDecimal();
            var magnitude = (Int128)Math.Ceiling(Math.Abs(value) * 1_000_000_000m);
            return Quantity.FromNanos(value < 0 ? -magnitude : magnitude, format);
        }
        catch (OverflowException)
        {
            Int128 max = (Int128)long.MaxValue * 1_000_000_000;
            return Quantity.FromNanos(quantity.ToDouble() < 0 ? -max : max, format);
        }
    }

    /// <summary>The text Kubernetes would write for a client quantity.</summary>
    public static string Text(ResourceQuantity quantity) => quantity.ToQuantity().ToString();

    private sealed class Box(Quantity value)
    {
        public Quantity Value { get; } = value;
    }
}
