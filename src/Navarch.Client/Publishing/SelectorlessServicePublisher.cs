using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Navarch.Client.Publishing;

/// <summary>
/// Keeps a Service without a selector, its Endpoints and one EndpointSlice pointing at addresses this process serves
/// (the API server's endpoint reconciler for <c>default/kubernetes</c>, and the cluster DNS for <c>kube-system/kube-dns</c>
/// as an addon manager would), so the Service proxy routes the ClusterIP to them. Idempotent: run at every start, it converges what a previous run (or an
/// older flag value) left: a changed ClusterIP means delete and re-create, since it is immutable.
/// </summary>
public sealed partial class SelectorlessServicePublisher(Kubernetes client, ILogger logger)
{
    /// <summary>The value of <c>endpointslice.kubernetes.io/managed-by</c> on the slices this publisher owns.</summary>
    public const string ManagedBy = "service-publisher.navarch.io";

    /// <summary>
    /// Ensures the Service <paramref name="name"/> in <paramref name="namespace"/> (with <paramref name="clusterIp"/>,
    /// <paramref name="labels"/> and <paramref name="ports"/>; when <paramref name="clusterIp"/> is null an existing
    /// Service is used as it is), then its Endpoints and EndpointSlice at <paramref name="addresses"/>.
    /// </summary>
    public Task PublishAsync(
        string @namespace,
        string name,
        string? clusterIp,
        IReadOnlyDictionary<string, string> labels,
        IReadOnlyList<ServicePortMapping> ports,
        IReadOnlyList<IPAddress> addresses,
        string? nodeName,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        return PublishAsync(@namespace, name, clusterIp, labels, ports, [.. addresses.Select(a => new PublishedAddress(a, nodeName))], cancellationToken);
    }

    /// <summary>
    /// As the other overload, with a Node per address (the <c>kubernetes</c> Service's endpoints are the API servers,
    /// each on its own machine).
    /// </summary>
    public async Task PublishAsync(
        string @namespace,
        string name,
        string? clusterIp,
        IReadOnlyDictionary<string, string> labels,
        IReadOnlyList<ServicePortMapping> ports,
        IReadOnlyList<PublishedAddress> addresses,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        V1Service service = clusterIp is null
            ? await client.CoreV1.ReadNamespacedServiceAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await EnsureServiceAsync(@namespace, name, clusterIp, labels, ports, cancellationToken).ConfigureAwait(false);
        await EnsureEndpointsAsync(service, ports, addresses, cancellationToken).ConfigureAwait(false);
        await EnsureSliceAsync(service, ports, addresses, cancellationToken).ConfigureAwait(false);
        LogPublished(logger, @namespace, name, addresses);
    }

    private async Task<V1Service> EnsureServiceAsync(string ns, string name, string clusterIp, IReadOnlyDictionary<string, string> labels, IReadOnlyList<ServicePortMapping> ports, CancellationToken ct)
    {
        V1Service? existing = await ReadAsync(() => client.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
        var wanted = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels.ToDictionary() },
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                ClusterIP = clusterIp,
                Ports = ports.Select(p => new V1ServicePort { Name = p.Name, Protocol = p.Protocol, Port = p.ServicePort, TargetPort = p.TargetPort }).ToList(),
            },
        };
        if (existing is not null && existing.Spec?.ClusterIP != clusterIp)
        {
            await client.CoreV1.DeleteNamespacedServiceAsync(name, ns, cancellationToken: ct).ConfigureAwait(false);
            existing = null;
        }

        if (existing is null)
        {
            return await client.CoreV1.CreateNamespacedServiceAsync(wanted, ns, cancellationToken: ct).ConfigureAwait(false);
        }

        if (Same(existing.Metadata.Labels, wanted.Metadata.Labels) && existing.Spec!.Selector is not { Count: > 0 } && Same(Ports(existing.Spec.Ports), Ports(wanted.Spec.Ports)))
        {
            return existing;
        }

        existing.Metadata.Labels = wanted.Metadata.Labels;
        existing.Spec!.Selector = null;
        existing.Spec.Ports = wanted.Spec.Ports;
        return await client.CoreV1.ReplaceNamespacedServiceAsync(existing, name, ns, cancellationToken: ct).ConfigureAwait(false);
    }

    private async Task EnsureEndpointsAsync(V1Service service, IReadOnlyList<ServicePortMapping> ports, IReadOnlyList<PublishedAddress> addresses, CancellationToken ct)
    {
        string ns = service.Metadata.NamespaceProperty, name = service.Metadata.Name;
        var subsets = new List<V1EndpointSubset>
        {
            new()
            {
                Addresses = addresses.Select(a => new V1EndpointAddress { Ip = a.Address.ToString(), NodeName = a.NodeName }).ToList(),
                Ports = ports.Select(p => new Corev1EndpointPort { Name = p.Name, Port = p.TargetPort, Protocol = p.Protocol }).ToList(),
            },
        };
        V1Endpoints? existing = await ReadAsync(() => client.CoreV1.ReadNamespacedEndpointsAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
        if (existing is null)
        {
            await client.CoreV1.CreateNamespacedEndpointsAsync(new V1Endpoints { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = service.Metadata.Labels }, Subsets = subsets }, ns, cancellationToken: ct).ConfigureAwait(false);
        }
        else if (!Same(existing.Subsets, subsets))
        {
            existing.Subsets = subsets;
            await client.CoreV1.ReplaceNamespacedEndpointsAsync(existing, name, ns, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    private async Task EnsureSliceAsync(V1Service service, IReadOnlyList<ServicePortMapping> ports, IReadOnlyList<PublishedAddress> addresses, CancellationToken ct)
    {
        string ns = service.Metadata.NamespaceProperty, name = service.Metadata.Name;
        var wanted = new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>())
                {
                    ["kubernetes.io/service-name"] = name,
                    ["endpointslice.kubernetes.io/managed-by"] = ManagedBy,
                },
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Service", Name = name, Uid = service.Metadata.Uid, Controller = true, BlockOwnerDeletion = true }],
            },
            AddressType = addresses.Count > 0 && addresses[0].Address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4",
            Endpoints = addresses.Select(a => new V1Endpoint
            {
                Addresses = [a.Address.ToString()],
                Conditions = new V1EndpointConditions { Ready = true, Serving = true, Terminating = false },
                NodeName = a.NodeName,
            }).ToList(),
            Ports = ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.TargetPort, Protocol = p.Protocol }).ToList(),
        };
        V1EndpointSlice? existing = await ReadAsync(() => client.DiscoveryV1.ReadNamespacedEndpointSliceAsync(name, ns, cancellationToken: ct)).ConfigureAwait(false);
        if (existing is null)
        {
            await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(wanted, ns, cancellationToken: ct).ConfigureAwait(false);
        }
        else if (existing.Metadata.OwnerReferences?.FirstOrDefault()?.Uid != service.Metadata.Uid || existing.AddressType != wanted.AddressType
            || !Same(existing.Endpoints, wanted.Endpoints) || !Same(existing.Ports, wanted.Ports) || !Same(existing.Metadata.Labels, wanted.Metadata.Labels))
        {
            // addressType is immutable: a change of family means a new slice.
            if (existing.AddressType != wanted.AddressType)
            {
                await client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(name, ns, cancellationToken: ct).ConfigureAwait(false);
                await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(wanted, ns, cancellationToken: ct).ConfigureAwait(false);
                return;
            }

            wanted.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(wanted, name, ns, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    private static IEnumerable<string> Ports(IList<V1ServicePort>? ports) =>
        (ports ?? []).Select(p => $"{p.Name}/{p.Protocol}/{p.Port}/{p.TargetPort?.Value}");

    private static bool Same<T>(T? a, T? b) => KubernetesJson.Serialize(a) == KubernetesJson.Serialize(b);

    private static async Task<T?> ReadAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Namespace}/{Service} with endpoints {Addresses}")]
    private static partial void LogPublished(ILogger logger, string @namespace, string service, IEnumerable<PublishedAddress> addresses);
}
