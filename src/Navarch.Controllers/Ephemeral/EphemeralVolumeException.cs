namespace Navarch.Controllers.Ephemeral;

/// <summary>A pod's ephemeral volume could not get its claim; the sync is retried with back-off.</summary>
public sealed class EphemeralVolumeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EphemeralVolumeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EphemeralVolumeException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public EphemeralVolumeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
