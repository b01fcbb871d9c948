namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>A NetworkPolicy's policy type: which traffic of a selected pod a chain judges.</summary>
internal enum PolicyDirection
{
    /// <summary>Traffic to the pod; peers are sources.</summary>
    Ingress,

    /// <summary>Traffic from the pod; peers are destinations.</summary>
    Egress,
}
