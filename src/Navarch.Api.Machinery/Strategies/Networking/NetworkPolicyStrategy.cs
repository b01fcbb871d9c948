using k8s.Models;

namespace Navarch.Api.Strategies.Networking;

/// <summary>networking.k8s.io/v1 NetworkPolicy.</summary>
internal static class NetworkPolicyStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1NetworkPolicy> Create() => new() { Defaults = Defaults, Validation = NetworkPolicyValidation.Validate };

    // Kubernetes' SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort: without policyTypes a policy is an
    // ingress policy, and an egress one too when it has egress rules; a port's protocol is TCP.
    private static void Defaults(V1NetworkPolicy policy)
    {
        if (policy.Spec is not { } spec)
        {
            return;
        }

        if (spec.PolicyTypes is not { Count: > 0 })
        {
            spec.PolicyTypes = spec.Egress is { Count: > 0 } ? ["Ingress", "Egress"] : ["Ingress"];
        }

        foreach (V1NetworkPolicyPort port in (spec.Ingress ?? []).SelectMany(r => r?.Ports ?? []).Concat((spec.Egress ?? []).SelectMany(r => r?.Ports ?? [])))
        {
            if (port is not null)
            {
                port.Protocol ??= "TCP";
            }
        }
    }
}
