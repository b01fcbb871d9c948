using k8s.Models;

namespace Navarch.Api.Strategies.Networking;

/// <summary>networking.k8s.io/v1 NetworkPolicy.</summary>
internal static class NetworkPolicyStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1NetworkPolicy> Create() => new() { Validation = NetworkPolicyValidation.Validate };
}
