using k8s.Models;

namespace Navarch.Api.Strategies.Networking;

/// <summary>networking.k8s.io/v1 NetworkPolicy.</summary>
internal static class NetworkPolicyStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1NetworkPolicy> Create() => new() { Defaults = Defaults, Validation = NetworkPolicyValidation.Validate };

    // Kubernetes' SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort: without policyTypes a policy is an
    // ingress policy, and an egress one too when it has egress rules; a port's protocol is TCP. The spec and its
    // podSelector are Go structs, not pointers: a policy sent without them decodes to an empty spec selecting every pod
    // of its namespace (kube-apiserver accepts it and writes "spec":{"podSelector":{},"policyTypes":["Ingress"]}).
    private static void Defaults(V1NetworkPolicy policy)
    {
        V1NetworkPolicySpec spec = policy.Spec ??= new V1NetworkPolicySpec();
        spec.PodSelector ??= new V1LabelSelector();
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
