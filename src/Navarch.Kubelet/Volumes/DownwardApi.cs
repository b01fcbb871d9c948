using System.Globalization;
using System.Text;
using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Kubelet.Node;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// The downward API's values, shared by environment variables and downwardAPI volumes: pod fields by field path and
/// container resources by name and divisor (limits default to the node's allocatable, as the kubelet does).
/// </summary>
internal static class DownwardApi
{
    /// <summary>The value of <paramref name="fieldPath"/>, or null for a path the downward API does not offer.</summary>
    /// <param name="pod">The pod.</param>
    /// <param name="fieldPath">e.g. metadata.name, metadata.labels['app'], status.podIP.</param>
    /// <param name="podIp">The sandbox's IP (the API's status may not have it yet); null falls back to the status.</param>
    /// <param name="hostIp">The node's IP.</param>
    public static string? Field(V1Pod pod, string fieldPath, string? podIp, string hostIp)
    {
        V1ObjectMeta meta = pod.Metadata;
        if (TryIndexed(fieldPath, "metadata.labels", out string? label))
        {
            return meta.Labels?.TryGetValue(label, out string? v) == true ? v : "";
        }

        if (TryIndexed(fieldPath, "metadata.annotations", out string? annotation))
        {
            return meta.Annotations?.TryGetValue(annotation, out string? v) == true ? v : "";
        }

        string? ip = string.IsNullOrEmpty(podIp) ? pod.Status?.PodIP : podIp;
        return fieldPath switch
        {
            "metadata.name" => meta.Name,
            "metadata.namespace" => meta.NamespaceProperty,
            "metadata.uid" => meta.Uid,
            "metadata.labels" => FormatMap(meta.Labels),
            "metadata.annotations" => FormatMap(meta.Annotations),
            "spec.nodeName" => pod.Spec.NodeName ?? "",
            "spec.serviceAccountName" => pod.Spec.ServiceAccountName ?? "",
            "status.hostIP" => hostIp,
            "status.hostIPs" => hostIp,
            "status.podIP" => ip ?? "",
            "status.podIPs" => string.IsNullOrEmpty(podIp) ? string.Join(',', (pod.Status?.PodIPs ?? []).Select(p => p.Ip)) : podIp,
            _ => null,
        };
    }

    /// <summary>
    /// A container resource as the downward API shows it: ceil(value / divisor); cpu in whole divisors (so 250m with
    /// divisor 1 is "1", with divisor 1m "250"). Unset limits are the node's allocatable.
    /// </summary>
    public static string? Resource(V1Pod pod, string containerName, string resource, ResourceQuantity? divisor)
    {
        V1Container? container = pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []).FirstOrDefault(c => c.Name == containerName);
        if (container is null)
        {
            return null;
        }

        string[] parts = resource.Split('.', 2);
        if (parts.Length != 2 || parts[0] is not ("limits" or "requests"))
        {
            return null;
        }

        string name = parts[1];
        IDictionary<string, ResourceQuantity>? values = parts[0] == "limits" ? container.Resources?.Limits : container.Resources?.Requests;
        decimal value;
        if (values?.TryGetValue(name, out ResourceQuantity? q) == true)
        {
            // Through the bounded quantity: a decimal never overflows on what the API server accepted.
            value = (decimal)q.ToQuantity().Nanos / 1_000_000_000m;
        }
        else if (parts[0] == "limits")
        {
            value = name switch
            {
                "cpu" => HostInfo.CpuCount,
                "memory" => HostInfo.MemoryBytes(),
                "ephemeral-storage" => HostInfo.DiskBytes("/"),
                _ => 0,
            };
        }
        else
        {
            value = 0;
        }

        decimal by = divisor is not null && divisor.ToQuantity() is { Sign: > 0 } d ? (decimal)d.Nanos / 1_000_000_000m : 1;
        if (name == "cpu")
        {
            // Both in millicores first, as resource.Quantity.MilliValue() rounds.
            value = Math.Ceiling(value * 1000);
            by = Math.Ceiling(by * 1000);
        }

        return ((long)Math.Clamp(Math.Ceiling(value / by), long.MinValue, long.MaxValue)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>kubelet's fieldpath.FormatMap: sorted <c>key="value"</c> lines (Go %q quoting), no trailing newline.</summary>
    public static string FormatMap(IDictionary<string, string>? map)
    {
        if (map is null || map.Count == 0)
        {
            return "";
        }

        var b = new StringBuilder();
        foreach (KeyValuePair<string, string> kv in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (b.Length > 0)
            {
                b.Append('\n');
            }

            b.Append(kv.Key).Append('=').Append(Quote(kv.Value));
        }

        return b.ToString();
    }

    private static string Quote(string s)
    {
        var b = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\t': b.Append("\\t"); break;
                case '\r': b.Append("\\r"); break;
                default:
                    if (c < 0x20)
                    {
                        b.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.Append('"').ToString();
    }

    /// <summary>Parses <c>prefix['key']</c> (the subscript form of labels and annotations).</summary>
    private static bool TryIndexed(string fieldPath, string prefix, out string key)
    {
        key = "";
        if (fieldPath.Length > prefix.Length + 4 && fieldPath.StartsWith(prefix + "['", StringComparison.Ordinal) && fieldPath.EndsWith("']", StringComparison.Ordinal))
        {
            key = fieldPath[(prefix.Length + 2)..^2];
            return true;
        }

        return false;
    }
}
