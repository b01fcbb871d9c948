namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>A metric could not be turned into a replica count (no pods, no metrics, no requests); the message is Kubernetes'.</summary>
public sealed class MetricsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MetricsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MetricsException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public MetricsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
