using k8s.Models;

namespace Navarch.Api.Strategies.Discovery;

/// <summary>discovery.k8s.io/v1 EndpointSlice.</summary>
internal static class EndpointSliceStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1EndpointSlice> Create() => new()
    {
        Defaults = s =>
        {
            foreach (Discoveryv1EndpointPort port in s.Ports ?? [])
            {
                port.Protocol ??= "TCP";
                port.Name ??= "";
            }
        },
        Validation = EndpointSliceValidation.Validate,
    };
}
