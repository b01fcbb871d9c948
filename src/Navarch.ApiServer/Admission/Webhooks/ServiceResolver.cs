using System.Net;
using k8s.Models;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// Where the API server reaches a Service it calls itself (kube-apiserver's endpoint routing, apiserver's
/// ResolveEndpoint): the Service's port by number, then a ready address of its EndpointSlices — or, for a Service whose
/// endpoints are only written as Endpoints, of those — on the endpoint port of the same name. All from watch caches.
/// </summary>
internal sealed class ServiceResolver(WatchCaches caches, ResourceCatalog catalog)
{
    private readonly DecodedLister<V1Service> _services = new(caches, catalog.Find("", "v1", "services")!);
    private readonly DecodedLister<V1Endpoints> _endpoints = new(caches, catalog.Find("", "v1", "endpoints")!);
    private readonly DecodedLister<V1EndpointSlice> _slices = new(caches, catalog.Find("discovery.k8s.io", "v1", "endpointslices")!);

    /// <summary>An address serving port <paramref name="port"/> of Service <paramref name="ns"/>/<paramref name="name"/>; a failure says why.</summary>
    public async Task<IPEndPoint> ResolveAsync(string ns, string name, int port, CancellationToken cancellationToken)
    {
        V1Service service = await _services.GetAsync(ns, name, cancellationToken) ?? throw new InvalidOperationException($"service \"{name}\" not found");
        V1ServicePort servicePort = service.Spec?.Ports?.FirstOrDefault(p => p.Port == port)
            ?? throw new InvalidOperationException($"no service port {port} found for service \"{name}\"");
        string portName = servicePort.Name ?? "";

        var candidates = new List<IPEndPoint>();
        foreach (V1EndpointSlice slice in await _slices.ListAsync(ns, cancellationToken))
        {
            if (slice.Metadata.Labels?.TryGetValue("kubernetes.io/service-name", out string? owner) != true || owner != name
                || slice.Ports?.FirstOrDefault(p => (p.Name ?? "") == portName)?.Port is not { } slicePort)
            {
                continue;
            }

            candidates.AddRange(slice.Endpoints
                .Where(e => e.Conditions?.Ready != false)
                .SelectMany(e => e.Addresses ?? [])
                .Select(a => IPAddress.TryParse(a, out IPAddress? ip) ? new IPEndPoint(ip, slicePort) : null)
                .OfType<IPEndPoint>());
        }

        if (candidates.Count == 0 && await _endpoints.GetAsync(ns, name, cancellationToken) is { } endpoints)
        {
            foreach (V1EndpointSubset subset in endpoints.Subsets ?? [])
            {
                if (subset.Ports?.FirstOrDefault(p => (p.Name ?? "") == portName)?.Port is not { } subsetPort)
                {
                    continue;
                }

                candidates.AddRange((subset.Addresses ?? [])
                    .Select(a => IPAddress.TryParse(a.Ip, out IPAddress? ip) ? new IPEndPoint(ip, subsetPort) : null)
                    .OfType<IPEndPoint>());
            }
        }

        return candidates.Count > 0
            ? candidates[Random.Shared.Next(candidates.Count)]
            : throw new InvalidOperationException($"no endpoints available for service \"{name}\"");
    }
}
