using System.Net;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// Where an APIService's Service is served (kube-aggregator's ResolveEndpoint over the Endpoints): the Service port
/// named by <c>spec.service.port</c> (443 by default), then an address of the Service's Endpoints on that port. Each
/// failure carries the reason and message the availability controller reports, worded as Kubernetes words them.
/// </summary>
internal sealed class ApiServiceEndpoints(StoreRegistry stores)
{
    /// <summary>A resolved endpoint (<c>https://ip:port</c>), or why there is none.</summary>
    public sealed record Resolution(Uri? Endpoint, string Reason, string Message);

    public async Task<Resolution> ResolveAsync(Apiregistrationv1ServiceReference reference, CancellationToken cancellationToken)
    {
        string ns = reference.NamespaceProperty, name = reference.Name;
        int port = reference.Port ?? 443;
        V1Service service;
        try
        {
            service = (V1Service)await stores.For("", "v1", "services").GetAsync(ns, name, cancellationToken);
        }
        catch (StatusException e) when (e.Code == HttpStatusCode.NotFound)
        {
            return new Resolution(null, "ServiceNotFound", $"service/{name} in \"{ns}\" is not present");
        }

        if (service.Spec?.Type == "ExternalName")
        {
            return new Resolution(new Uri($"https://{service.Spec.ExternalName}:{port}"), "", "");
        }

        V1ServicePort? servicePort = service.Spec?.Ports?.FirstOrDefault(p => p.Port == port);
        if (servicePort is null)
        {
            return new Resolution(null, "ServicePortError", $"service/{name} in \"{ns}\" is not listening on port {port}");
        }

        V1Endpoints endpoints;
        try
        {
            endpoints = (V1Endpoints)await stores.For("", "v1", "endpoints").GetAsync(ns, name, cancellationToken);
        }
        catch (StatusException e) when (e.Code == HttpStatusCode.NotFound)
        {
            return new Resolution(null, "EndpointsNotFound", $"cannot find endpoints for service/{name} in \"{ns}\"");
        }

        string portName = servicePort.Name ?? "";
        foreach (V1EndpointSubset subset in endpoints.Subsets ?? [])
        {
            if (subset.Addresses is not { Count: > 0 } addresses || subset.Ports?.FirstOrDefault(p => (p.Name ?? "") == portName) is not { } endpointPort)
            {
                continue;
            }

            string ip = addresses[Random.Shared.Next(addresses.Count)].Ip;
            string host = IPAddress.TryParse(ip, out IPAddress? parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip;
            return new Resolution(new Uri($"https://{host}:{endpointPort.Port}"), "", "");
        }

        return new Resolution(null, "MissingEndpoints", $"endpoints for service/{name} in \"{ns}\" have no addresses with port name \"{portName}\"");
    }
}
