using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The external-provisioner's secret parameters of a StorageClass: <c>csi.storage.k8s.io/OPERATION-secret-name</c> and
/// <c>-namespace</c> for the provisioner, controller-publish, node-stage, node-publish, controller-expand and
/// node-expand secrets (with <c>csi.storage.k8s.io/secret-name</c>/<c>-namespace</c> as every operation's default),
/// resolved as getSecretReference does: the namespace template may use <c>${pv.name}</c> and <c>${pvc.namespace}</c>,
/// the name template also <c>${pvc.name}</c> and (except for the provisioner's) <c>${pvc.annotations['KEY']}</c>.
/// </summary>
internal static partial class CsiSecretParameters
{
    /// <summary>The prefix of the parameters the provisioner reads itself and never sends to the driver.</summary>
    public const string Prefix = "csi.storage.k8s.io/";

    /// <summary>The PV annotations naming the provisioner secret DeleteVolume gets.</summary>
    public const string DeletionSecretNameAnnotation = "volume.kubernetes.io/provisioner-deletion-secret-name";

    public const string DeletionSecretNamespaceAnnotation = "volume.kubernetes.io/provisioner-deletion-secret-namespace";

    public const string Provisioner = "provisioner";
    public const string ControllerPublish = "controller-publish";
    public const string NodeStage = "node-stage";
    public const string NodePublish = "node-publish";
    public const string ControllerExpand = "controller-expand";
    public const string NodeExpand = "node-expand";

    /// <summary>The reserved keys the external-provisioner reads: the filesystem type and every operation's secret pair.</summary>
    private static readonly HashSet<string> KnownKeys =
    [
        Prefix + "fstype",
        .. new[] { "", Provisioner + "-", ControllerPublish + "-", NodeStage + "-", NodePublish + "-", ControllerExpand + "-", NodeExpand + "-" }
            .SelectMany(operation => new[] { Prefix + operation + "secret-name", Prefix + operation + "secret-namespace" }),
    ];

    /// <summary>
    /// The reference for <paramref name="operation"/>'s secret, or null when the class names none; throws
    /// <see cref="InvalidOperationException"/> with the external-provisioner's message when the parameters are wrong.
    /// </summary>
    public static V1SecretReference? Resolve(string operation, IDictionary<string, string>? parameters, string pvName, V1PersistentVolumeClaim? claim)
    {
        parameters ??= new Dictionary<string, string>();
        (string Name, string Namespace)? templates = Templates(operation, operation + "-", parameters) ?? Templates(operation, "", parameters);
        if (templates is not { } t)
        {
            return null;
        }

        var namespaceParams = new Dictionary<string, string>(StringComparer.Ordinal) { ["pv.name"] = pvName };
        var nameParams = new Dictionary<string, string>(StringComparer.Ordinal) { ["pv.name"] = pvName };
        if (claim is not null)
        {
            namespaceParams["pvc.namespace"] = nameParams["pvc.namespace"] = claim.Metadata.NamespaceProperty;
            nameParams["pvc.name"] = claim.Metadata.Name;
            if (operation != Provisioner)
            {
                foreach ((string key, string value) in claim.Metadata.Annotations ?? new Dictionary<string, string>())
                {
                    nameParams[$"pvc.annotations['{key}']"] = value;
                }
            }
        }

        string ns = Expand(t.Namespace, namespaceParams);
        if (!DnsLabel().IsMatch(ns))
        {
            throw new InvalidOperationException(ns == t.Namespace ? $"\"{t.Namespace}\" is not a valid namespace name" : $"\"{t.Namespace}\" resolved to \"{ns}\" which is not a valid namespace name");
        }

        string name = Expand(t.Name, nameParams);
        if (name.Length > 253 || !DnsSubdomain().IsMatch(name))
        {
            throw new InvalidOperationException(name == t.Name ? $"\"{t.Name}\" is not a valid secret name" : $"\"{t.Name}\" resolved to \"{name}\" which is not a valid secret name");
        }

        return new V1SecretReference { Name = name, NamespaceProperty = ns };
    }

    /// <summary>
    /// The class's parameters less the <c>csi.storage.k8s.io/</c> ones (removePrefixedParameters). A key under that
    /// prefix the provisioner does not know fails the provisioning with <see cref="InvalidOperationException"/> and its
    /// message, rather than being dropped or handed to the driver.
    /// </summary>
    public static Dictionary<string, string> DriverParameters(IDictionary<string, string>? parameters)
    {
        parameters ??= new Dictionary<string, string>();
        if (parameters.Keys.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal) && !KnownKeys.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault() is { } unknown)
        {
            throw new InvalidOperationException($"failed to strip CSI Parameters of prefixed keys: found unknown parameter key \"{unknown}\" with reserved namespace {Prefix}");
        }

        return parameters.Where(p => !p.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    private static (string Name, string Namespace)? Templates(string operation, string keyPrefix, IDictionary<string, string> parameters)
    {
        bool hasName = parameters.TryGetValue(Prefix + keyPrefix + "secret-name", out string? name);
        bool hasNamespace = parameters.TryGetValue(Prefix + keyPrefix + "secret-namespace", out string? ns);
        if (!hasName && !hasNamespace)
        {
            return null;
        }

        if (hasName != hasNamespace)
        {
            throw new InvalidOperationException($"failed to get name and namespace template from params: either name and namespace for {operation} secrets specified, Both must be specified");
        }

        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(ns))
        {
            throw new InvalidOperationException($"failed to get name and namespace template from params: {operation} secrets specified in parameters but value of either namespace or name is empty");
        }

        return (name, ns);
    }

    /// <summary>os.Expand over <paramref name="values"/>: <c>${key}</c> (and <c>$key</c>) replaced; an unknown key is an error.</summary>
    private static string Expand(string template, Dictionary<string, string> values)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        string resolved = Token().Replace(template, m =>
        {
            string key = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
            if (values.TryGetValue(key, out string? value))
            {
                return value;
            }

            missing.Add(key);
            return "";
        });
        if (missing.Count > 0)
        {
            var list = new StringBuilder();
            list.AppendJoin(' ', missing.Select(k => $"\"{k}\""));
            throw new InvalidOperationException($"error resolving value \"{template}\": invalid tokens: [{list}]");
        }

        return resolved;
    }

    [GeneratedRegex(@"\$\{([^}]*)\}|\$([A-Za-z0-9_]+)")]
    private static partial Regex Token();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
