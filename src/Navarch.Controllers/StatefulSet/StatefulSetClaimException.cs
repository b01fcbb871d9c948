namespace Navarch.Controllers.StatefulSet;

/// <summary>A replica's claim cannot be used yet (being deleted); the sync is retried with back-off.</summary>
public sealed class StatefulSetClaimException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StatefulSetClaimException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StatefulSetClaimException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public StatefulSetClaimException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
