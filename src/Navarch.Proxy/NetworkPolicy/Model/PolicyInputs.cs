using k8s.Models;

namespace Navarch.Proxy.NetworkPolicy.Model;

/// <summary>Everything the rules are computed from: the cluster's NetworkPolicies, pods and namespaces' labels.</summary>
/// <param name="Policies">Every NetworkPolicy.</param>
/// <param name="Pods">Every pod policies apply to, and the addresses that stand for pods.</param>
/// <param name="NamespaceLabels">Each namespace's labels.</param>
internal sealed record PolicyInputs(
    IReadOnlyList<V1NetworkPolicy> Policies,
    IReadOnlyList<PodEndpoint> Pods,
    IReadOnlyDictionary<string, IDictionary<string, string>?> NamespaceLabels);
