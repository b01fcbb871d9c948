namespace Navarch.Api.Quantities;

/// <summary>A text that is not a quantity, with Kubernetes' message for why.</summary>
public sealed class QuantityFormatException : FormatException
{
    /// <summary>An exception for <paramref name="error"/>.</summary>
    public QuantityFormatException(QuantityError error)
        : base(Quantity.Describe(error)) => Error = error;

    /// <summary>For serializers.</summary>
    public QuantityFormatException()
    {
    }

    /// <summary>For serializers.</summary>
    public QuantityFormatException(string message)
        : base(message)
    {
    }

    /// <summary>For serializers.</summary>
    public QuantityFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Why.</summary>
    public QuantityError Error { get; }
}
