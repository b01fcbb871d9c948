using k8s.Models;
using Navarch.Api;
using Navarch.Controllers.Endpoints;

namespace Navarch.Controllers.EndpointSlice;

/// <summary>
/// Kubernetes' EndpointSlice reconciler, as a pure computation: given a Service, its desired endpoints (grouped by
/// address type and resolved port set) and the slices it has, plans the fewest writes — existing slices are updated
/// in place (endpoints changed, removed, or added while there is room), new slices are created only for endpoints that
/// fit nowhere, empty and foreign slices are deleted, a deletion paired with a creation becomes an update, and a
/// Service with no endpoints keeps one empty placeholder slice.
/// </summary>
internal sealed class EndpointSliceReconciler(int maxEndpointsPerSlice)
{
    /// <summary>The managed-by label's value for this controller's slices.</summary>
    public const string ControllerName = "endpointslice-controller.k8s.io";

    /// <summary>discovery.k8s.io's kubernetes.io/service-name label.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>discovery.k8s.io's endpointslice.kubernetes.io/managed-by label.</summary>
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";

    /// <summary>The identity of an endpoint within a Service's slices: its pod and addresses.</summary>
    public static string KeyOf(V1Endpoint endpoint) =>
        $"{endpoint.TargetRef?.Uid}|{string.Join(",", endpoint.Addresses ?? [])}";

    /// <summary>The key of a port set, independent of order.</summary>
    public static string PortsKey(IEnumerable<Discoveryv1EndpointPort>? ports) =>
        string.Join(";", (ports ?? []).Select(p => $"{p.Name}/{p.Port}/{p.Protocol}/{p.AppProtocol}").Order(StringComparer.Ordinal));

    /// <summary>The labels a Service's slices carry: the Service's own (reserved keys aside), its name, the manager, headlessness.</summary>
    public static Dictionary<string, string> LabelsFor(V1Service service)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> label in service.Metadata.Labels ?? new Dictionary<string, string>())
        {
            if (label.Key is not (ServiceNameLabel or ManagedByLabel))
            {
                labels[label.Key] = label.Value;
            }
        }

        labels[ServiceNameLabel] = service.Metadata.Name;
        labels[ManagedByLabel] = ControllerName;
        if (EndpointUtil.IsHeadless(service))
        {
            labels[EndpointUtil.HeadlessLabel] = "";
        }

        return labels;
    }

    /// <summary>Plans the writes that turn <paramref name="existing"/> into slices holding <paramref name="desired"/>.</summary>
    /// <param name="service">The Service.</param>
    /// <param name="addressTypes">The address types the Service supports, first one first.</param>
    /// <param name="desired">Address type → port-set key → desired endpoints.</param>
    /// <param name="existing">The Service's slices (by label) not being deleted.</param>
    public SlicePlan Reconcile(V1Service service, IReadOnlyList<string> addressTypes, Dictionary<string, Dictionary<string, EndpointGroup>> desired, IReadOnlyList<V1EndpointSlice> existing)
    {
        var plan = new SlicePlan([], [], []);
        Dictionary<string, string> labels = LabelsFor(service);
        var unchanged = new List<V1EndpointSlice>();
        var existingByType = new Dictionary<string, List<V1EndpointSlice>>(StringComparer.Ordinal);
        foreach (V1EndpointSlice slice in existing)
        {
            if (IsOwnedBy(slice, service) && addressTypes.Contains(slice.AddressType))
            {
                if (!existingByType.TryGetValue(slice.AddressType, out List<V1EndpointSlice>? slices))
                {
                    existingByType[slice.AddressType] = slices = [];
                }

                slices.Add(slice);
            }
            else
            {
                plan.Delete.Add(slice);
            }
        }

        foreach (string addressType in addressTypes)
        {
            ReconcileAddressType(service, labels, addressType, desired.GetValueOrDefault(addressType) ?? [], existingByType.GetValueOrDefault(addressType) ?? [], plan, unchanged);
        }

        // A Service without endpoints keeps one placeholder slice, so clients see it has been processed.
        int endpointsLeft = plan.Create.Concat(plan.Update).Concat(unchanged).Sum(s => s.Endpoints?.Count ?? 0);
        if (endpointsLeft == 0 && plan.Create.Count == 0 && plan.Update.Count == 0 && unchanged.Count == 0)
        {
            V1EndpointSlice placeholder = NewSlice(service, labels, addressTypes[0], []);
            int reuse = plan.Delete.FindIndex(s => IsPlaceholder(s, placeholder, service));
            if (reuse >= 0)
            {
                plan.Delete.RemoveAt(reuse);
            }
            else
            {
                plan.Create.Add(placeholder);
            }
        }

        PairCreationsWithDeletions(plan);
        return plan;
    }

    private void ReconcileAddressType(V1Service service, Dictionary<string, string> labels, string addressType, Dictionary<string, EndpointGroup> desired,
        List<V1EndpointSlice> existing, SlicePlan plan, List<V1EndpointSlice> unchanged)
    {
        var existingByPorts = existing.GroupBy(s => PortsKey(s.Ports), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach ((string portsKey, EndpointGroup group) in desired)
        {
            var remaining = new OrderedDictionary<string, V1Endpoint>(group.Endpoints, StringComparer.Ordinal);
            var updated = new List<V1EndpointSlice>();
            var untouched = new List<V1EndpointSlice>();

            // 1. Existing slices keep the endpoints still desired (in their desired state) and lose the others.
            foreach (V1EndpointSlice slice in existingByPorts.GetValueOrDefault(portsKey) ?? [])
            {
                var kept = new List<V1Endpoint>();
                bool changed = !SameLabels(slice.Metadata.Labels, labels);
                foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
                {
                    if (kept.Count < maxEndpointsPerSlice && remaining.Remove(KeyOf(endpoint), out V1Endpoint? wanted))
                    {
                        kept.Add(wanted);
                        changed |= !KubernetesSerialization.JsonEquals(wanted, endpoint);
                    }
                    else
                    {
                        changed = true;
                    }
                }

                if (!changed)
                {
                    untouched.Add(slice);
                }
                else if (kept.Count == 0)
                {
                    plan.Delete.Add(slice);
                }
                else
                {
                    V1EndpointSlice copy = ModelCopies.Copy(slice);
                    copy.Endpoints = kept;
                    copy.Metadata.Labels = new Dictionary<string, string>(labels, StringComparer.Ordinal);
                    updated.Add(copy);
                }
            }

            // 2. New endpoints first fill the slices being written anyway, fullest first.
            foreach (V1EndpointSlice copy in updated.OrderByDescending(s => s.Endpoints.Count))
            {
                Fill(copy, remaining);
            }

            // 3. What is left goes into one untouched slice if it all fits there, saving a creation.
            if (remaining.Count > 0 && untouched.OrderByDescending(s => s.Endpoints?.Count ?? 0).FirstOrDefault(s => (s.Endpoints?.Count ?? 0) + remaining.Count <= maxEndpointsPerSlice) is { } roomy)
            {
                untouched.Remove(roomy);
                V1EndpointSlice copy = ModelCopies.Copy(roomy);
                copy.Endpoints ??= [];
                Fill(copy, remaining);
                updated.Add(copy);
            }

            // 4. Then new slices, each filled up to the maximum.
            while (remaining.Count > 0)
            {
                V1EndpointSlice created = NewSlice(service, labels, addressType, group.Ports);
                Fill(created, remaining);
                plan.Create.Add(created);
            }

            plan.Update.AddRange(updated);
            unchanged.AddRange(untouched);
        }

        // Slices of port sets no endpoint has any more.
        foreach ((string portsKey, List<V1EndpointSlice> slices) in existingByPorts)
        {
            if (!desired.ContainsKey(portsKey))
            {
                plan.Delete.AddRange(slices);
            }
        }
    }

    private void Fill(V1EndpointSlice slice, OrderedDictionary<string, V1Endpoint> remaining)
    {
        slice.Endpoints ??= [];
        while (slice.Endpoints.Count < maxEndpointsPerSlice && remaining.Count > 0)
        {
            slice.Endpoints.Add(remaining.GetAt(0).Value);
            remaining.RemoveAt(0);
        }
    }

    /// <summary>Reuses a slice about to be deleted for one about to be created (same address type): one update, not two writes.</summary>
    private static void PairCreationsWithDeletions(SlicePlan plan)
    {
        for (int i = plan.Create.Count - 1; i >= 0; i--)
        {
            V1EndpointSlice create = plan.Create[i];
            int match = plan.Delete.FindIndex(s => s.AddressType == create.AddressType);
            if (match < 0)
            {
                continue;
            }

            V1EndpointSlice reused = ModelCopies.Copy(plan.Delete[match]);
            plan.Delete.RemoveAt(match);
            reused.Endpoints = create.Endpoints;
            reused.Ports = create.Ports;
            reused.Metadata.Labels = create.Metadata.Labels;
            reused.Metadata.OwnerReferences = create.Metadata.OwnerReferences;
            plan.Create.RemoveAt(i);
            plan.Update.Add(reused);
        }
    }

    private static V1EndpointSlice NewSlice(V1Service service, Dictionary<string, string> labels, string addressType, List<Discoveryv1EndpointPort> ports) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta
        {
            GenerateName = service.Metadata.Name + "-",
            NamespaceProperty = service.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string>(labels, StringComparer.Ordinal),
            OwnerReferences =
            [
                new V1OwnerReference
                {
                    ApiVersion = "v1",
                    Kind = "Service",
                    Name = service.Metadata.Name,
                    Uid = service.Metadata.Uid,
                    Controller = true,
                    BlockOwnerDeletion = true,
                },
            ],
        },
        AddressType = addressType,
        Endpoints = [],
        Ports = ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = p.Protocol, AppProtocol = p.AppProtocol }).ToList(),
    };

    private static bool IsOwnedBy(V1EndpointSlice slice, V1Service service) =>
        slice.Metadata.OwnerReferences?.Any(o => o.Controller == true && o.Kind == "Service" && o.Uid == service.Metadata.Uid) == true;

    private static bool IsPlaceholder(V1EndpointSlice slice, V1EndpointSlice placeholder, V1Service service) =>
        IsOwnedBy(slice, service) && slice.AddressType == placeholder.AddressType && (slice.Endpoints?.Count ?? 0) == 0
        && (slice.Ports?.Count ?? 0) == 0 && SameLabels(slice.Metadata.Labels, placeholder.Metadata.Labels);

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string> b) =>
        (a?.Count ?? 0) == b.Count && b.All(kv => a!.TryGetValue(kv.Key, out string? v) && v == kv.Value);
}
