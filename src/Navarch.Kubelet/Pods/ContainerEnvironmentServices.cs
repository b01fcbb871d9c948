using System.Globalization;
using k8s.Models;

namespace Navarch.Kubelet.Pods;

/// <summary>
/// The Service environment variables of a container (kubelet's envvars.FromServices): <c>NAME_SERVICE_HOST</c>,
/// <c>NAME_SERVICE_PORT</c>, <c>NAME_SERVICE_PORT_PORTNAME</c> and the Docker-link style <c>NAME_PORT</c>,
/// <c>NAME_PORT_80_TCP</c>, <c>..._PROTO</c>, <c>..._PORT</c>, <c>..._ADDR</c>, for services with a cluster IP.
/// </summary>
internal static class ContainerEnvironmentServices
{
    /// <summary>
    /// The variables for the services a pod sees: <c>kubernetes</c> of the default namespace always, and with
    /// enableServiceLinks (true or unset) every service of the pod's own namespace (which win on a name clash).
    /// </summary>
    public static Dictionary<string, string> For(V1Pod pod, IEnumerable<V1Service> services)
    {
        string ns = pod.Metadata.NamespaceProperty;
        bool links = pod.Spec.EnableServiceLinks != false;
        var chosen = new Dictionary<string, V1Service>(StringComparer.Ordinal);
        foreach (V1Service s in services)
        {
            if (!HasClusterIp(s))
            {
                continue;
            }

            string name = s.Metadata.Name;
            if (s.Metadata.NamespaceProperty == "default" && name == "kubernetes" && !chosen.ContainsKey(name))
            {
                chosen[name] = s;
            }

            if (links && s.Metadata.NamespaceProperty == ns)
            {
                chosen[name] = s;
            }
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (V1Service s in chosen.Values.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            foreach ((string key, string value) in Variables(s))
            {
                env[key] = value;
            }
        }

        return env;
    }

    /// <summary>The variables of one service, in kubelet's order.</summary>
    public static IEnumerable<(string Key, string Value)> Variables(V1Service service)
    {
        string name = Name(service.Metadata.Name);
        string ip = service.Spec.ClusterIP;
        IList<V1ServicePort> ports = service.Spec.Ports ?? [];
        yield return (name + "_SERVICE_HOST", ip);
        if (ports.Count == 0)
        {
            yield break;
        }

        yield return (name + "_SERVICE_PORT", Port(ports[0]));
        foreach (V1ServicePort p in ports.Where(p => !string.IsNullOrEmpty(p.Name)))
        {
            yield return ($"{name}_SERVICE_PORT_{Name(p.Name)}", Port(p));
        }

        string host = ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip;
        V1ServicePort first = ports[0];
        yield return (name + "_PORT", $"{Protocol(first).ToLowerInvariant()}://{host}:{Port(first)}");
        foreach (V1ServicePort p in ports)
        {
            string prefix = $"{name}_PORT_{Port(p)}_{Protocol(p).ToUpperInvariant()}";
            yield return (prefix, $"{Protocol(p).ToLowerInvariant()}://{host}:{Port(p)}");
            yield return (prefix + "_PROTO", Protocol(p).ToLowerInvariant());
            yield return (prefix + "_PORT", Port(p));
            yield return (prefix + "_ADDR", ip);
        }
    }

    /// <summary>A service or port name as a variable name: upper case, '-' as '_'.</summary>
    public static string Name(string name) => name.ToUpperInvariant().Replace('-', '_');

    private static bool HasClusterIp(V1Service s) => !string.IsNullOrEmpty(s.Spec?.ClusterIP) && s.Spec.ClusterIP != "None";

    private static string Port(V1ServicePort p) => p.Port.ToString(CultureInfo.InvariantCulture);

    private static string Protocol(V1ServicePort p) => string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol;
}
