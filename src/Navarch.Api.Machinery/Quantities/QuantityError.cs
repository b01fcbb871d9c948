namespace Navarch.Api.Quantities;

/// <summary>Why a string is not a quantity; <see cref="Quantity.Describe"/> gives Kubernetes' wording.</summary>
public enum QuantityError
{
    /// <summary>A quantity.</summary>
    None,

    /// <summary>resource.ErrFormatWrong: it does not match the quantity grammar.</summary>
    FormatWrong,

    /// <summary>resource.ErrNumeric: the number cannot be read.</summary>
    Numeric,

    /// <summary>resource.ErrSuffix: the suffix is not one of the known ones, or its exponent is not an int64.</summary>
    Suffix,

    /// <summary>
    /// The value is larger than 2^63-1 in magnitude, which Kubernetes documents as the limit of a quantity (and
    /// enforces for binary suffixes by capping). Navarch refuses larger decimal values: every component reads
    /// quantities through the client's type, which cannot compute with them in bounded time.
    /// </summary>
    OutOfRange,
}
