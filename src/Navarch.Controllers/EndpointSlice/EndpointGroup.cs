using k8s.Models;

namespace Navarch.Controllers.EndpointSlice;

/// <summary>The desired endpoints that share one address type and one resolved port set, keyed by endpoint identity.</summary>
internal sealed class EndpointGroup(List<Discoveryv1EndpointPort> ports)
{
    /// <summary>The resolved ports every endpoint of the group serves.</summary>
    public List<Discoveryv1EndpointPort> Ports { get; } = ports;

    /// <summary>The endpoints, in insertion order, by <see cref="EndpointSliceReconciler.KeyOf"/>.</summary>
    public OrderedDictionary<string, V1Endpoint> Endpoints { get; } = new(StringComparer.Ordinal);
}
