using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>A NetworkPolicy with its policy types defaulted and its pod selector parsed once.</summary>
internal sealed class CompiledPolicy
{
    public CompiledPolicy(V1NetworkPolicy policy)
    {
        Policy = policy;
        Namespace = policy.Metadata?.NamespaceProperty ?? "default";
        Key = $"{Namespace}/{policy.Metadata?.Name}";
        V1NetworkPolicySpec spec = policy.Spec ?? new V1NetworkPolicySpec();
        PodSelector = LabelSelector.From(spec.PodSelector ?? new V1LabelSelector());

        // Kubernetes' defaulting: without policyTypes a policy is an ingress policy, and an egress one as well when it
        // has egress rules.
        IList<string>? types = spec.PolicyTypes;
        Ingress = types is { Count: > 0 } ? types.Contains("Ingress") : true;
        Egress = types is { Count: > 0 } ? types.Contains("Egress") : spec.Egress is { Count: > 0 };
    }

    public V1NetworkPolicy Policy { get; }

    /// <summary><c>namespace/name</c>.</summary>
    public string Key { get; }

    public string Namespace { get; }

    public LabelSelector PodSelector { get; }

    /// <summary>Whether the policy isolates its pods for ingress.</summary>
    public bool Ingress { get; }

    /// <summary>Whether the policy isolates its pods for egress.</summary>
    public bool Egress { get; }

    /// <summary>Whether the policy has the type of <paramref name="direction"/>.</summary>
    public bool Isolates(PolicyDirection direction) => direction == PolicyDirection.Ingress ? Ingress : Egress;

    /// <summary>
    /// The rules of <paramref name="direction"/> as (peers, ports): a policy without that type has none (its rules of
    /// that direction are ignored, as Kubernetes does).
    /// </summary>
    public IEnumerable<(IList<V1NetworkPolicyPeer>? Peers, IList<V1NetworkPolicyPort>? Ports)> Rules(PolicyDirection direction)
    {
        if (!Isolates(direction))
        {
            return [];
        }

        return direction == PolicyDirection.Ingress
            ? (Policy.Spec?.Ingress ?? []).Select(r => (r?.FromProperty, r?.Ports))
            : (Policy.Spec?.Egress ?? []).Select(r => (r?.To, r?.Ports));
    }
}
