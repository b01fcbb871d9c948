namespace Navarch.Proxy.NetworkPolicy.Nftables;

/// <summary>An nft command failed.</summary>
internal sealed class NftablesException : Exception
{
    public NftablesException(string message)
        : base(message)
    {
    }

    public NftablesException()
    {
    }

    public NftablesException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
