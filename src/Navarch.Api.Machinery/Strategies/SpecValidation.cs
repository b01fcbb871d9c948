using System.Net;
using System.Net.Sockets;
using k8s.Models;

namespace Navarch.Api.Strategies;

/// <summary>
/// Kubernetes' validation (pkg/apis/*/validation) for the resources whose strategy has no rules of its own elsewhere:
/// Endpoints, EndpointSlices, Leases, Nodes, Ingresses, NetworkPolicies, PersistentVolumes, LimitRanges,
/// ResourceQuotas, Events, ControllerRevisions, IngressClasses and CustomResourceDefinitions — field paths, error types and messages as the API server reports them.
/// </summary>
public static class SpecValidation
{
    private const string PortRange = "must be between 1 and 65535, inclusive";

    /// <summary>core/v1 Endpoints: endpoint IPs (not loopback or link-local), ports and their names.</summary>
    public static IEnumerable<FieldError> Endpoints(V1Endpoints e)
    {
        IList<V1EndpointSubset> subsets = e.Subsets ?? [];
        for (int i = 0; i < subsets.Count; i++)
        {
            string at = $"subsets[{i}]";
            var addresses = (subsets[i].Addresses ?? []).Select((a, j) => (a, $"{at}.addresses[{j}]"))
                .Concat((subsets[i].NotReadyAddresses ?? []).Select((a, j) => (a, $"{at}.notReadyAddresses[{j}]")));
            foreach ((V1EndpointAddress address, string path) in addresses)
            {
                foreach (FieldError error in EndpointIp(address.Ip, path + ".ip"))
                {
                    yield return error;
                }
            }

            IList<Corev1EndpointPort> ports = subsets[i].Ports ?? [];
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int j = 0; j < ports.Count; j++)
            {
                string portAt = $"{at}.ports[{j}]";
                foreach (FieldError error in Port(ports[j].Name, ports[j].Port, ports[j].Protocol, ports.Count > 1, names, portAt))
                {
                    yield return error;
                }
            }
        }
    }

    /// <summary>discovery.k8s.io/v1 EndpointSlice: addressType, 1–100 addresses per endpoint of that type, ports.</summary>
    public static IEnumerable<FieldError> EndpointSlice(V1EndpointSlice s)
    {
        if (string.IsNullOrEmpty(s.AddressType))
        {
            yield return new FieldError(FieldErrorType.Required, "addressType", null, "");
        }
        else if (s.AddressType is not ("IPv4" or "IPv6" or "FQDN"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, "addressType", s.AddressType, "supported values: \"FQDN\", \"IPv4\", \"IPv6\"");
        }

        IList<V1Endpoint> endpoints = s.Endpoints ?? [];
        if (endpoints.Count > 1000)
        {
            yield return new FieldError(FieldErrorType.TooMany, "endpoints", endpoints.Count, "must have at most 1000 items");
        }

        for (int i = 0; i < endpoints.Count; i++)
        {
            string at = $"endpoints[{i}].addresses";
            IList<string> addresses = endpoints[i].Addresses ?? [];
            if (addresses.Count == 0)
            {
                yield return new FieldError(FieldErrorType.Required, at, null, "must contain at least 1 address");
            }
            else if (addresses.Count > 100)
            {
                yield return new FieldError(FieldErrorType.TooMany, at, addresses.Count, "must have at most 100 items");
            }

            for (int j = 0; j < addresses.Count; j++)
            {
                AddressFamily? family = s.AddressType switch { "IPv4" => AddressFamily.InterNetwork, "IPv6" => AddressFamily.InterNetworkV6, _ => null };
                if (family is { } want && (!IPAddress.TryParse(addresses[j], out IPAddress? ip) || ip.AddressFamily != want))
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"{at}[{j}]", addresses[j], $"must be a valid {s.AddressType} address");
                }
            }
        }

        IList<Discoveryv1EndpointPort> ports = s.Ports ?? [];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ports.Count; i++)
        {
            string at = $"ports[{i}]";
            if (ports[i].Port is { } port && port is < 1 or > 65535)
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".port", port, PortRange);
            }

            if (ports[i].Protocol is { } protocol && protocol is not ("TCP" or "UDP" or "SCTP"))
            {
                yield return new FieldError(FieldErrorType.NotSupported, at + ".protocol", protocol, "supported values: \"SCTP\", \"TCP\", \"UDP\"");
            }

            if (!names.Add(ports[i].Name ?? ""))
            {
                yield return new FieldError(FieldErrorType.Duplicate, at + ".name", ports[i].Name ?? "", "");
            }
        }
    }

    /// <summary>coordination.k8s.io/v1 Lease.</summary>
    public static IEnumerable<FieldError> Lease(V1Lease l)
    {
        if (l.Spec?.LeaseDurationSeconds is { } duration && duration <= 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.leaseDurationSeconds", duration, "must be greater than 0");
        }

        if (l.Spec?.LeaseTransitions is { } transitions && transitions < 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.leaseTransitions", transitions, "must be greater than or equal to 0");
        }
    }

    /// <summary>core/v1 Node: podCIDRs and taints (effect, key, unique by key and effect).</summary>
    public static IEnumerable<FieldError> Node(V1Node n)
    {
        IList<string> cidrs = n.Spec?.PodCIDRs ?? (n.Spec?.PodCIDR is { Length: > 0 } one ? [one] : []);
        for (int i = 0; i < cidrs.Count; i++)
        {
            if (!IPNetwork.TryParse(cidrs[i], out _))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.podCIDRs[{i}]", cidrs[i], "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
            }
        }

        IList<V1Taint> taints = n.Spec?.Taints ?? [];
        var seen = new HashSet<(string, string)>();
        for (int i = 0; i < taints.Count; i++)
        {
            string at = $"spec.taints[{i}]";
            foreach (string problem in MetadataValidation.QualifiedNameProblems(taints[i].Key ?? ""))
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".key", taints[i].Key ?? "", problem);
            }

            if (string.IsNullOrEmpty(taints[i].Effect))
            {
                yield return new FieldError(FieldErrorType.Required, at + ".effect", null, "");
            }
            else if (taints[i].Effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                yield return new FieldError(FieldErrorType.NotSupported, at + ".effect", taints[i].Effect, "supported values: \"NoExecute\", \"NoSchedule\", \"PreferNoSchedule\"");
            }

            if (!seen.Add((taints[i].Key ?? "", taints[i].Effect ?? "")))
            {
                yield return new FieldError(FieldErrorType.Duplicate, at, $"{taints[i].Key}:{taints[i].Effect}", "taints must be unique by key and effect pair");
            }
        }
    }

    /// <summary>networking.k8s.io/v1 Ingress: a default backend or rules; hosts; paths with their type; backends.</summary>
    public static IEnumerable<FieldError> Ingress(V1Ingress ingress)
    {
        V1IngressSpec? spec = ingress.Spec;
        IList<V1IngressRule> rules = spec?.Rules ?? [];
        if (spec?.DefaultBackend is null && rules.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec", null, "either `defaultBackend` or `rules` must be specified");
        }

        if (spec?.DefaultBackend is { } fallback)
        {
            foreach (FieldError error in Backend(fallback, "spec.defaultBackend"))
            {
                yield return error;
            }
        }

        for (int i = 0; i < rules.Count; i++)
        {
            string at = $"spec.rules[{i}]";
            if (rules[i].Host is { Length: > 0 } host)
            {
                if (IPAddress.TryParse(host, out _))
                {
                    yield return new FieldError(FieldErrorType.Invalid, at + ".host", host, "must be a DNS name, not an IP address");
                }
                else
                {
                    foreach (string problem in MetadataValidation.NameProblems(host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host, NameRule.Subdomain))
                    {
                        yield return new FieldError(FieldErrorType.Invalid, at + ".host", host, problem);
                    }
                }
            }

            IList<V1HTTPIngressPath> paths = rules[i].Http?.Paths ?? [];
            if (rules[i].Http is not null && paths.Count == 0)
            {
                yield return new FieldError(FieldErrorType.Required, at + ".http.paths", null, "");
            }

            for (int j = 0; j < paths.Count; j++)
            {
                string pathAt = $"{at}.http.paths[{j}]";
                string? type = paths[j].PathType;
                if (string.IsNullOrEmpty(type))
                {
                    yield return new FieldError(FieldErrorType.Required, pathAt + ".pathType", null, "pathType must be specified");
                }
                else if (type is not ("Exact" or "Prefix" or "ImplementationSpecific"))
                {
                    yield return new FieldError(FieldErrorType.NotSupported, pathAt + ".pathType", type, "supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"");
                }
                else if (type is "Exact" or "Prefix" && !(paths[j].Path ?? "").StartsWith('/'))
                {
                    yield return new FieldError(FieldErrorType.Invalid, pathAt + ".path", paths[j].Path ?? "", "must be an absolute path");
                }

                foreach (FieldError error in Backend(paths[j].Backend, pathAt + ".backend"))
                {
                    yield return error;
                }
            }
        }
    }

    private static IEnumerable<FieldError> Backend(V1IngressBackend? backend, string at)
    {
        if (backend?.Service is null && backend?.Resource is null)
        {
            yield return new FieldError(FieldErrorType.Invalid, at, null, "one backend (service or resource) must be specified");
        }
        else if (backend.Service is not null && backend.Resource is not null)
        {
            yield return new FieldError(FieldErrorType.Invalid, at, null, "cannot set both resource and service backends");
        }
        else if (backend.Service is { } service)
        {
            if (string.IsNullOrEmpty(service.Name))
            {
                yield return new FieldError(FieldErrorType.Required, at + ".service.name", null, "");
            }

            bool named = !string.IsNullOrEmpty(service.Port?.Name);
            bool numbered = service.Port?.Number is > 0;
            if (named == numbered)
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".service.port", null, "port name or number is required");
            }
            else if (service.Port?.Number is { } number && number > 65535)
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".service.port.number", number, PortRange);
            }
        }
    }

    /// <summary>networking.k8s.io/v1 NetworkPolicy: policyTypes and the ports of its rules.</summary>
    public static IEnumerable<FieldError> NetworkPolicy(V1NetworkPolicy policy)
    {
        if (policy.Spec is null)
        {
            yield return new FieldError(FieldErrorType.Required, "spec", null, "");
            yield break;
        }

        IList<string> types = policy.Spec.PolicyTypes ?? [];
        for (int i = 0; i < types.Count; i++)
        {
            if (types[i] is not ("Ingress" or "Egress"))
            {
                yield return new FieldError(FieldErrorType.NotSupported, $"spec.policyTypes[{i}]", types[i], "supported values: \"Egress\", \"Ingress\"");
            }
        }

        var ports = (policy.Spec.Ingress ?? []).SelectMany((r, i) => (r.Ports ?? []).Select((p, j) => (p, $"spec.ingress[{i}].ports[{j}]")))
            .Concat((policy.Spec.Egress ?? []).SelectMany((r, i) => (r.Ports ?? []).Select((p, j) => (p, $"spec.egress[{i}].ports[{j}]"))));
        foreach ((V1NetworkPolicyPort port, string at) in ports)
        {
            if (port.Protocol is { } protocol && protocol is not ("TCP" or "UDP" or "SCTP"))
            {
                yield return new FieldError(FieldErrorType.NotSupported, at + ".protocol", protocol, "supported values: \"SCTP\", \"TCP\", \"UDP\"");
            }

            bool numeric = int.TryParse(port.Port?.Value, out int number);
            if (numeric && number is < 1 or > 65535)
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".port", number, PortRange);
            }

            if (port.EndPort is { } end && (!numeric || end < number))
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".endPort", end, numeric ? "must be greater than or equal to `port`" : "may not be specified when `port` is non-numeric");
            }
        }
    }

    /// <summary>core/v1 PersistentVolume: capacity, access modes, reclaim policy, exactly one volume source.</summary>
    public static IEnumerable<FieldError> PersistentVolume(V1PersistentVolume pv)
    {
        V1PersistentVolumeSpec? spec = pv.Spec;
        if (spec?.Capacity is null || !spec.Capacity.ContainsKey("storage"))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.capacity", null, "");
        }

        if (spec?.AccessModes is not { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Required, "spec.accessModes", null, "");
        }
        else
        {
            foreach (string mode in spec.AccessModes.Where(m => m is not ("ReadWriteOnce" or "ReadOnlyMany" or "ReadWriteMany" or "ReadWriteOncePod")))
            {
                yield return new FieldError(FieldErrorType.NotSupported, "spec.accessModes", mode, "supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"");
            }
        }

        if (spec?.PersistentVolumeReclaimPolicy is { } policy && policy is not ("Delete" or "Recycle" or "Retain"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, "spec.persistentVolumeReclaimPolicy", policy, "supported values: \"Delete\", \"Recycle\", \"Retain\"");
        }

        int sources = spec is null ? 0 : new object?[] { spec.HostPath, spec.Local, spec.Nfs, spec.Csi, spec.Iscsi, spec.Fc, spec.Rbd, spec.Cephfs, spec.Glusterfs, spec.AzureDisk, spec.AzureFile, spec.GcePersistentDisk, spec.AwsElasticBlockStore, spec.Cinder, spec.FlexVolume, spec.Flocker, spec.Quobyte, spec.VsphereVolume, spec.PhotonPersistentDisk, spec.PortworxVolume, spec.ScaleIO, spec.Storageos }.Count(s => s is not null);
        if (sources == 0)
        {
            yield return new FieldError(FieldErrorType.Required, "spec", null, "must specify a volume type");
        }
        else if (sources > 1)
        {
            yield return new FieldError(FieldErrorType.Forbidden, "spec", null, "may not specify more than 1 volume type");
        }
    }

    /// <summary>core/v1 LimitRange: the limit types and min ≤ default ≤ max per resource.</summary>
    public static IEnumerable<FieldError> LimitRange(V1LimitRange range)
    {
        IList<V1LimitRangeItem> limits = range.Spec?.Limits ?? [];
        for (int i = 0; i < limits.Count; i++)
        {
            string at = $"spec.limits[{i}]";
            if (limits[i].Type is not ("Container" or "Pod" or "PersistentVolumeClaim"))
            {
                yield return new FieldError(FieldErrorType.NotSupported, at + ".type", limits[i].Type ?? "", "supported values: \"Container\", \"PersistentVolumeClaim\", \"Pod\"");
            }

            foreach ((string resource, ResourceQuantity min) in limits[i].Min ?? new Dictionary<string, ResourceQuantity>())
            {
                if (limits[i].Max?.TryGetValue(resource, out ResourceQuantity? max) == true && min.ToDecimal() > max.ToDecimal())
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"{at}.min[{resource}]", min.ToString(), $"min value {min} is greater than max value {max}");
                }
            }

            foreach ((string resource, ResourceQuantity value) in limits[i].DefaultProperty ?? new Dictionary<string, ResourceQuantity>())
            {
                if (limits[i].Max?.TryGetValue(resource, out ResourceQuantity? max) == true && value.ToDecimal() > max.ToDecimal())
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"{at}.default[{resource}]", value.ToString(), $"default value {value} is greater than max value {max}");
                }
            }
        }
    }

    /// <summary>core/v1 ResourceQuota: hard limits are not negative.</summary>
    public static IEnumerable<FieldError> ResourceQuota(V1ResourceQuota quota)
    {
        foreach ((string resource, ResourceQuantity value) in quota.Spec?.Hard ?? new Dictionary<string, ResourceQuantity>())
        {
            if (value.ToDecimal() < 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"spec.hard[{resource}]", value.ToString(), "must be greater than or equal to 0");
            }
        }
    }

    /// <summary>core/v1 Event: the involved object lives in the event's namespace (when it has one).</summary>
    public static IEnumerable<FieldError> Event(Corev1Event e)
    {
        if (e.InvolvedObject?.NamespaceProperty is { Length: > 0 } ns && ns != e.Metadata.NamespaceProperty)
        {
            yield return new FieldError(FieldErrorType.Invalid, "involvedObject.namespace", ns, "does not match event.namespace");
        }
    }

    /// <summary>apps/v1 ControllerRevision: a revision number that is not negative.</summary>
    public static IEnumerable<FieldError> ControllerRevision(V1ControllerRevision revision)
    {
        if (revision.Revision < 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "revision", revision.Revision, "must be greater than or equal to 0");
        }
    }

    /// <summary>A ControllerRevision's data never changes.</summary>
    public static IEnumerable<FieldError> ControllerRevisionUpdate(V1ControllerRevision revision, V1ControllerRevision old)
    {
        if (!KubernetesSerialization.JsonEquals(revision.Data, old.Data))
        {
            yield return new FieldError(FieldErrorType.Invalid, "data", null, "field is immutable");
        }
    }

    /// <summary>networking.k8s.io/v1 IngressClass: a controller name.</summary>
    public static IEnumerable<FieldError> IngressClass(V1IngressClass ingressClass)
    {
        if (string.IsNullOrEmpty(ingressClass.Spec?.Controller))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.controller", null, "");
        }
        else if (ingressClass.Spec.Controller.Length > 250)
        {
            yield return new FieldError(FieldErrorType.TooLong, "spec.controller", ingressClass.Spec.Controller, "may not be more than 250 bytes");
        }
    }

    /// <summary>An IngressClass's controller never changes.</summary>
    public static IEnumerable<FieldError> IngressClassUpdate(V1IngressClass ingressClass, V1IngressClass old)
    {
        if (ingressClass.Spec?.Controller != old.Spec?.Controller)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.controller", ingressClass.Spec?.Controller, "field is immutable");
        }
    }

    /// <summary>apiextensions.k8s.io/v1 CustomResourceDefinition: group, names, scope, versions with one storage version.</summary>
    public static IEnumerable<FieldError> CustomResourceDefinition(V1CustomResourceDefinition crd)
    {
        V1CustomResourceDefinitionSpec? spec = crd.Spec;
        if (string.IsNullOrEmpty(spec?.Group))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.group", null, "");
        }
        else if (!spec.Group.Contains('.', StringComparison.Ordinal))
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.group", spec.Group, "should be a domain with at least one dot");
        }

        if (string.IsNullOrEmpty(spec?.Names?.Plural))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.names.plural", null, "");
        }

        if (string.IsNullOrEmpty(spec?.Names?.Kind))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.names.kind", null, "");
        }

        if (spec?.Names?.Plural is { Length: > 0 } plural && spec.Group is { Length: > 0 } group && crd.Metadata.Name != $"{plural}.{group}")
        {
            yield return new FieldError(FieldErrorType.Invalid, "metadata.name", crd.Metadata.Name, "must be spec.names.plural+\".\"+spec.group");
        }

        if (spec?.Scope is not ("Namespaced" or "Cluster"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, "spec.scope", spec?.Scope ?? "", "supported values: \"Cluster\", \"Namespaced\"");
        }

        IList<V1CustomResourceDefinitionVersion> versions = spec?.Versions ?? [];
        if (versions.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.versions", null, "must have exactly one version marked as storage version");
        }
        else if (versions.Count(v => v.Storage) != 1)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.versions", null, "must have exactly one version marked as storage version");
        }
    }

    private static IEnumerable<FieldError> EndpointIp(string? ip, string at)
    {
        if (!IPAddress.TryParse(ip, out IPAddress? address) || (address.AddressFamily == AddressFamily.InterNetwork && ip!.Count(c => c == '.') != 3))
        {
            yield return new FieldError(FieldErrorType.Invalid, at, ip ?? "", "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }
        else if (IPAddress.IsLoopback(address))
        {
            yield return new FieldError(FieldErrorType.Invalid, at, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
        }
        else if (address.IsIPv6LinkLocal || (address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, _, _]))
        {
            yield return new FieldError(FieldErrorType.Invalid, at, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
        }
    }

    private static IEnumerable<FieldError> Port(string? name, int port, string? protocol, bool requireName, HashSet<string> names, string at)
    {
        if (requireName && string.IsNullOrEmpty(name))
        {
            yield return new FieldError(FieldErrorType.Required, at + ".name", null, "");
        }
        else if (!string.IsNullOrEmpty(name) && !names.Add(name))
        {
            yield return new FieldError(FieldErrorType.Duplicate, at + ".name", name, "");
        }

        if (port is < 1 or > 65535)
        {
            yield return new FieldError(FieldErrorType.Invalid, at + ".port", port, PortRange);
        }

        if (string.IsNullOrEmpty(protocol))
        {
            yield return new FieldError(FieldErrorType.Required, at + ".protocol", null, "");
        }
        else if (protocol is not ("TCP" or "UDP" or "SCTP"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, at + ".protocol", protocol, "supported values: \"SCTP\", \"TCP\", \"UDP\"");
        }
    }
}
