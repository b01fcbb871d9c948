namespace Navarch.Api.Quantities;

/// <summary>How a quantity is written, remembered from how it was parsed (resource.Format).</summary>
public enum QuantityFormat
{
    /// <summary>e.g. <c>12e6</c>.</summary>
    DecimalExponent,

    /// <summary>e.g. <c>12Mi</c> (12 × 2^20).</summary>
    BinarySI,

    /// <summary>e.g. <c>12M</c> (12 × 10^6); also a plain number.</summary>
    DecimalSI,
}
