namespace Navarch.Api.Cel;

/// <summary>Thrown inside an evaluation to abort it when its <see cref="CelCostBudget"/> runs out.</summary>
internal sealed class CelCostLimitExceededException : Exception
{
    /// <summary>cel-go's words for an evaluation cancelled by its cost limit.</summary>
    public const string Text = "operation cancelled: actual cost limit exceeded";

    public CelCostLimitExceededException()
        : base(Text)
    {
    }

    public CelCostLimitExceededException(string message)
        : base(message)
    {
    }

    public CelCostLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
