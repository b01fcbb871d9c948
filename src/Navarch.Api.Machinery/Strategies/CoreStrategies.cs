using k8s.Models;

namespace Navarch.Api.Strategies;

/// <summary>Services, namespaces, nodes, config maps, secrets, events and leases.</summary>
public static class CoreStrategies
{
    /// <summary>core/v1 Service. ClusterIP and nodePort allocation is the API server's, not the strategy's.</summary>
    public static ResourceStrategy<V1Service> Service() => new()
    {
        HasStatus = true,
        NameRule = NameRule.Label,
        Defaults = s =>
        {
            s.Spec ??= new V1ServiceSpec();
            s.Spec.Type ??= "ClusterIP";
            s.Spec.SessionAffinity ??= "None";
            if (s.Spec.Type != "ExternalName")
            {
                s.Spec.InternalTrafficPolicy ??= "Cluster";
                s.Spec.IpFamilyPolicy ??= "SingleStack";
                s.Spec.IpFamilies ??= ["IPv4"];
            }

            if (s.Spec.Type is "NodePort" or "LoadBalancer")
            {
                s.Spec.ExternalTrafficPolicy ??= "Cluster";
            }

            foreach (V1ServicePort port in s.Spec.Ports ?? [])
            {
                port.Protocol ??= "TCP";
                port.TargetPort ??= port.Port;
            }
        },
        Validation = ValidateService,
        UpdateValidation = (s, old) =>
            old.Spec?.ClusterIP is { Length: > 0 } ip && s.Spec?.ClusterIP != ip && old.Spec.Type == s.Spec?.Type
                ? [new FieldError(FieldErrorType.Invalid, "spec.clusterIPs[0]", s.Spec?.ClusterIP ?? "", "may not change once set")]
                : [],
        Columns =
        [
            new("Type", "string", "", "The type of service."),
            new("Cluster-IP", "string", "", "ClusterIP is the IP address of the service."),
            new("External-IP", "string", "", "The external IP addresses of the service."),
            new("Port(s)", "string", "", "The ports exposed by the service."),
            TableColumn.AgeColumn,
            new("Selector", "string", "", "Route service traffic to pods with label keys and values matching this selector.", 1),
        ],
        Cells = (s, now) =>
        [
            s.Spec?.Type,
            string.IsNullOrEmpty(s.Spec?.ClusterIP) ? "<none>" : s.Spec.ClusterIP,
            ExternalIps(s),
            s.Spec?.Ports is { Count: > 0 } ports
                ? string.Join(",", ports.Select(p => p.NodePort is { } np and > 0 ? $"{p.Port}:{np}/{p.Protocol}" : $"{p.Port}/{p.Protocol}"))
                : "<none>",
            Age.Of(s.Metadata.CreationTimestamp, now),
            s.Spec?.Selector is { Count: > 0 } sel ? string.Join(",", sel.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) : "<none>",
        ],
    };

    private static string ExternalIps(V1Service s)
    {
        var ips = new List<string>(s.Spec?.ExternalIPs ?? []);
        ips.AddRange((s.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip ?? i.Hostname).OfType<string>());
        if (s.Spec?.Type == "ExternalName")
        {
            return s.Spec.ExternalName ?? "<none>";
        }

        return ips.Count > 0 ? string.Join(",", ips) : s.Spec?.Type == "LoadBalancer" ? "<pending>" : "<none>";
    }

    private static IEnumerable<FieldError> ValidateService(V1Service s)
    {
        V1ServiceSpec? spec = s.Spec;
        string type = spec?.Type ?? "ClusterIP";
        if (type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
        {
            yield return new FieldError(FieldErrorType.NotSupported, "spec.type", type, "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"");
        }

        bool headless = spec?.ClusterIP == "None";
        IList<V1ServicePort> ports = spec?.Ports ?? [];
        if (ports.Count == 0 && type != "ExternalName" && !headless)
        {
            yield return new FieldError(FieldErrorType.Required, "spec.ports", null, "");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ports.Count; i++)
        {
            V1ServicePort p = ports[i];
            string at = $"spec.ports[{i}]";
            if (ports.Count > 1 && string.IsNullOrEmpty(p.Name))
            {
                yield return new FieldError(FieldErrorType.Required, at + ".name", null, "");
            }
            else if (!string.IsNullOrEmpty(p.Name) && !names.Add(p.Name))
            {
                yield return new FieldError(FieldErrorType.Duplicate, at + ".name", p.Name, "");
            }

            if (p.Port is < 1 or > 65535)
            {
                yield return new FieldError(FieldErrorType.Invalid, at + ".port", p.Port, "must be between 1 and 65535, inclusive");
            }

            if (p.Protocol is { } proto && proto is not ("TCP" or "UDP" or "SCTP"))
            {
                yield return new FieldError(FieldErrorType.NotSupported, at + ".protocol", proto, "supported values: \"SCTP\", \"TCP\", \"UDP\"");
            }

            if (p.NodePort is { } np and not 0)
            {
                if (type is not ("NodePort" or "LoadBalancer"))
                {
                    yield return new FieldError(FieldErrorType.Forbidden, at + ".nodePort", null, "may not be used when `type` is 'ClusterIP'");
                }
                else if (np is < 30000 or > 32767)
                {
                    yield return new FieldError(FieldErrorType.Invalid, at + ".nodePort", np, "provided port is not in the valid range. The range of valid ports is 30000-32767");
                }
            }
        }
    }

    /// <summary>core/v1 Namespace.</summary>
    public static ResourceStrategy<V1Namespace> Namespace() => new()
    {
        HasStatus = true,
        NameRule = NameRule.Label,
        Defaults = n =>
        {
            n.Spec ??= new V1NamespaceSpec();
            n.Spec.Finalizers ??= ["kubernetes"];
            n.Status ??= new V1NamespaceStatus();
            n.Status.Phase ??= "Active";
            n.Metadata.Labels ??= new Dictionary<string, string>();
            n.Metadata.Labels["kubernetes.io/metadata.name"] = n.Metadata.Name;
        },
        Fields = n => [new("status.phase", n.Status?.Phase ?? "")],
        Columns = [new("Status", "string", "", "The status of the namespace"), TableColumn.AgeColumn],
        Cells = (n, now) => [n.Status?.Phase ?? "Active", Age.Of(n.Metadata.CreationTimestamp, now)],
    };

    /// <summary>core/v1 Node.</summary>
    public static ResourceStrategy<V1Node> Node() => new()
    {
        HasStatus = true,
        Validation = SpecValidation.Node,
        Fields = n => [new("spec.unschedulable", (n.Spec?.Unschedulable ?? false) ? "true" : "false")],
        Columns =
        [
            new("Status", "string", "", "The status of the node"),
            new("Roles", "string", "", "The roles of the node"),
            TableColumn.AgeColumn,
            new("Version", "string", "", "Kubelet Version reported by the node."),
            new("Internal-IP", "string", "", "List of addresses reachable to the node.", 1),
            new("External-IP", "string", "", "List of addresses reachable to the node.", 1),
            new("OS-Image", "string", "", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 12 (bookworm)).", 1),
            new("Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r'.", 1),
            new("Container-Runtime", "string", "", "Container Runtime Version reported by the node through runtime remote API.", 1),
        ],
        Cells = (n, now) =>
        [
            NodeStatus(n),
            NodeRoles(n),
            Age.Of(n.Metadata.CreationTimestamp, now),
            n.Status?.NodeInfo?.KubeletVersion ?? "",
            n.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address ?? "<none>",
            n.Status?.Addresses?.FirstOrDefault(a => a.Type == "ExternalIP")?.Address ?? "<none>",
            n.Status?.NodeInfo?.OsImage ?? "<unknown>",
            n.Status?.NodeInfo?.KernelVersion ?? "<unknown>",
            n.Status?.NodeInfo?.ContainerRuntimeVersion ?? "<unknown>",
        ],
    };

    private static string NodeStatus(V1Node n)
    {
        V1NodeCondition? ready = n.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        string status = ready?.Status switch { "True" => "Ready", "False" => "NotReady", _ => ready is null ? "Unknown" : "NotReady" };
        return n.Spec?.Unschedulable == true ? status + ",SchedulingDisabled" : status;
    }

    private static string NodeRoles(V1Node n)
    {
        const string prefix = "node-role.kubernetes.io/";
        var roles = (n.Metadata.Labels ?? new Dictionary<string, string>()).Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.Length > prefix.Length)
            .Select(k => k[prefix.Length..]).Order(StringComparer.Ordinal).ToList();
        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }

    /// <summary>core/v1 ConfigMap.</summary>
    public static ResourceStrategy<V1ConfigMap> ConfigMap() => new()
    {
        Validation = c => DataKeys(c.Data?.Keys.Concat(c.BinaryData?.Keys ?? []), "data"),
        UpdateValidation = (c, old) => Immutable(old.Immutable, () => KubernetesSerialization.JsonEquals(c.Data, old.Data) && KubernetesSerialization.JsonEquals(c.BinaryData, old.BinaryData)),
        Columns = [new("Data", "string", "", "Number of data entries"), TableColumn.AgeColumn],
        Cells = (c, now) => [(c.Data?.Count ?? 0) + (c.BinaryData?.Count ?? 0), Age.Of(c.Metadata.CreationTimestamp, now)],
    };

    /// <summary>core/v1 Secret.</summary>
    public static ResourceStrategy<V1Secret> Secret() => new()
    {
        Defaults = s =>
        {
            if (string.IsNullOrEmpty(s.Type))
            {
                s.Type = "Opaque";
            }

            // stringData is write-only: merged into data (its values win) and never stored, as Kubernetes converts it.
            if (s.StringData is { Count: > 0 })
            {
                s.Data ??= new Dictionary<string, byte[]>();
                foreach (KeyValuePair<string, string> kv in s.StringData)
                {
                    s.Data[kv.Key] = System.Text.Encoding.UTF8.GetBytes(kv.Value ?? "");
                }
            }

            s.StringData = null;
        },
        Validation = SecretContents,
        UpdateValidation = (s, old) =>
        {
            var errors = Immutable(old.Immutable, () => KubernetesSerialization.JsonEquals(s.Data, old.Data)).ToList();
            if (s.Type != old.Type)
            {
                errors.Add(new FieldError(FieldErrorType.Invalid, "type", s.Type, "field is immutable"));
            }

            return errors;
        },
        Fields = s => [new("type", s.Type ?? "")],
        Columns = [new("Type", "string", "", "The type of the secret"), new("Data", "string", "", "Number of data entries"), TableColumn.AgeColumn],
        Cells = (s, now) => [s.Type, s.Data?.Count ?? 0, Age.Of(s.Metadata.CreationTimestamp, now)],
    };

    /// <summary>core/v1 Event.</summary>
    public static ResourceStrategy<Corev1Event> Event() => new()
    {
        Validation = SpecValidation.Event,
        Fields = e =>
        [
            new("involvedObject.kind", e.InvolvedObject?.Kind ?? ""),
            new("involvedObject.namespace", e.InvolvedObject?.NamespaceProperty ?? ""),
            new("involvedObject.name", e.InvolvedObject?.Name ?? ""),
            new("involvedObject.uid", e.InvolvedObject?.Uid ?? ""),
            new("involvedObject.apiVersion", e.InvolvedObject?.ApiVersion ?? ""),
            new("involvedObject.resourceVersion", e.InvolvedObject?.ResourceVersion ?? ""),
            new("involvedObject.fieldPath", e.InvolvedObject?.FieldPath ?? ""),
            new("reason", e.Reason ?? ""),
            new("reportingComponent", e.ReportingComponent ?? ""),
            new("source", e.Source?.Component ?? ""),
            new("type", e.Type ?? ""),
        ],
        Columns =
        [
            new("Last Seen", "string", "", "Time when last event of this kind was observed."),
            new("Type", "string", "", "Type of this event (Normal, Warning)."),
            new("Reason", "string", "", "Short, machine understandable string that gives the reason for this event being generated."),
            new("Object", "string", "", "The object this Event is about."),
            new("Message", "string", "", "A human-readable description of the status of this operation."),
        ],
        Cells = (e, now) =>
        [
            Age.Of(e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp, now),
            e.Type,
            e.Reason,
            $"{e.InvolvedObject?.Kind?.ToLowerInvariant()}/{e.InvolvedObject?.Name}",
            e.Message,
        ],
    };

    /// <summary>coordination.k8s.io/v1 Lease.</summary>
    public static ResourceStrategy<V1Lease> Lease() => new()
    {
        Validation = SpecValidation.Lease,
        Columns = [new("Holder", "string", "", "Holder of the lease"), TableColumn.AgeColumn],
        Cells = (l, now) => [l.Spec?.HolderIdentity ?? "", Age.Of(l.Metadata.CreationTimestamp, now)],
    };

    /// <summary>Kubernetes' ValidateSecret: data keys, the 1 MiB limit, and the keys each well-known type requires.</summary>
    private static IEnumerable<FieldError> SecretContents(V1Secret s)
    {
        IDictionary<string, byte[]> data = s.Data ?? new Dictionary<string, byte[]>();
        foreach (FieldError e in DataKeys(data.Keys, "data"))
        {
            yield return e;
        }

        long size = data.Sum(kv => (long)kv.Key.Length + (kv.Value?.Length ?? 0));
        if (size > MaxSecretSize)
        {
            yield return new FieldError(FieldErrorType.TooLong, "data", "", $"may not be more than {MaxSecretSize} bytes");
        }

        switch (s.Type)
        {
            case "kubernetes.io/service-account-token":
                if (s.Metadata.Annotations?.TryGetValue("kubernetes.io/service-account.name", out string? account) != true || string.IsNullOrEmpty(account))
                {
                    yield return new FieldError(FieldErrorType.Required, "metadata.annotations[kubernetes.io/service-account.name]", null, "");
                }

                break;
            case "kubernetes.io/dockercfg":
            case "kubernetes.io/dockerconfigjson":
                string key = s.Type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
                if (!data.TryGetValue(key, out byte[]? config))
                {
                    yield return new FieldError(FieldErrorType.Required, $"data[{key}]", null, "");
                }
                else if (JsonError(config) is { } error)
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"data[{key}]", "<secret contents redacted>", error);
                }

                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    yield return new FieldError(FieldErrorType.Required, "data[username]", null, "");
                    yield return new FieldError(FieldErrorType.Required, "data[password]", null, "");
                }

                break;
            case "kubernetes.io/ssh-auth":
                if (!data.TryGetValue("ssh-privatekey", out byte[]? sshKey) || sshKey.Length == 0)
                {
                    yield return new FieldError(FieldErrorType.Required, "data[ssh-privatekey]", null, "");
                }

                break;
            case "kubernetes.io/tls":
                foreach (string tlsKey in new[] { "tls.key", "tls.crt" })
                {
                    if (!data.ContainsKey(tlsKey))
                    {
                        yield return new FieldError(FieldErrorType.Required, $"data[{tlsKey}]", null, "");
                    }
                }

                break;
        }
    }

    private const long MaxSecretSize = 1024 * 1024;

    private static string? JsonError(byte[]? bytes)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(bytes ?? []);
            return null;
        }
        catch (System.Text.Json.JsonException e)
        {
            return e.Message;
        }
    }

    private static IEnumerable<FieldError> DataKeys(IEnumerable<string>? keys, string path)
    {
        foreach (string key in keys ?? [])
        {
            if (key.Length == 0 || key.Length > 253 || key is "." or ".." || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}[{key}]", key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
            }
        }
    }

    private static IEnumerable<FieldError> Immutable(bool? immutable, Func<bool> unchanged)
    {
        if (immutable == true && !unchanged())
        {
            yield return new FieldError(FieldErrorType.Forbidden, "data", null, "field is immutable when `immutable` is set");
        }
    }
}
