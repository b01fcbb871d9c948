namespace Navarch.Proxy.Iptables;

/// <summary>An iptables command failed.</summary>
public sealed class IptablesException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IptablesException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public IptablesException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public IptablesException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
