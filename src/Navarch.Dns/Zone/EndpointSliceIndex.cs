using System.Collections.Concurrent;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Dns.Zone;

/// <summary>
/// The EndpointSlices of each Service (by their <c>kubernetes.io/service-name</c> label), kept from the informer's
/// events so a lookup does not scan the namespace.
/// </summary>
internal sealed class EndpointSliceIndex : IResourceEventHandler<V1EndpointSlice>
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, V1EndpointSlice>> _byService = new(StringComparer.Ordinal);
    private readonly Action _changed;

    public EndpointSliceIndex(Action changed) => _changed = changed;

    /// <summary>The slices of the Service <c>namespace/name</c>.</summary>
    public ICollection<V1EndpointSlice> Of(string serviceKey) =>
        _byService.TryGetValue(serviceKey, out ConcurrentDictionary<string, V1EndpointSlice>? slices) ? slices.Values : [];

    public void OnAdd(V1EndpointSlice obj)
    {
        Put(obj);
        _changed();
    }

    public void OnUpdate(V1EndpointSlice oldObj, V1EndpointSlice newObj)
    {
        if (ServiceKey(oldObj) != ServiceKey(newObj))
        {
            Remove(oldObj);
        }

        Put(newObj);
        _changed();
    }

    public void OnDelete(V1EndpointSlice lastKnown, bool finalStateUnknown)
    {
        Remove(lastKnown);
        _changed();
    }

    private static string? ServiceKey(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(ServiceNameLabel, out string? service) == true ? $"{slice.Metadata.NamespaceProperty}/{service}" : null;

    private void Put(V1EndpointSlice slice)
    {
        if (ServiceKey(slice) is { } service)
        {
            _byService.GetOrAdd(service, _ => new ConcurrentDictionary<string, V1EndpointSlice>(StringComparer.Ordinal))[ObjectKeys.KeyOf(slice)] = slice;
        }
    }

    private void Remove(V1EndpointSlice slice)
    {
        if (ServiceKey(slice) is { } service && _byService.TryGetValue(service, out ConcurrentDictionary<string, V1EndpointSlice>? slices))
        {
            slices.TryRemove(ObjectKeys.KeyOf(slice), out _);
        }
    }
}
