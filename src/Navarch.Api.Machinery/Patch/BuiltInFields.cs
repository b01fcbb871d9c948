namespace Navarch.Api.Patch;

/// <summary>
/// How the built-in API's lists and maps merge, by field name (each name has one meaning across the built-in kinds):
/// the <c>patchMergeKey</c>/<c>patchStrategy</c> struct tags strategic merge patch reads, and the
/// <c>+listType</c>/<c>+listMapKey</c>/<c>+mapType</c>/<c>+structType</c> markers server-side apply reads. Both merges
/// take their knowledge from here.
/// </summary>
public static class BuiltInFields
{
    /// <summary>Strategic merge patch's merge keys; several candidates where the name is used with different keys (container ports by containerPort, Service ports by port).</summary>
    public static IReadOnlyDictionary<string, string[]> MergeKeys { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["containers"] = ["name"],
        ["initContainers"] = ["name"],
        ["ephemeralContainers"] = ["name"],
        ["env"] = ["name"],
        ["volumes"] = ["name"],
        ["volumeMounts"] = ["mountPath"],
        ["volumeDevices"] = ["devicePath"],
        ["imagePullSecrets"] = ["name"],
        ["ports"] = ["containerPort", "port"],
        ["conditions"] = ["type"],
        ["ownerReferences"] = ["uid"],
        ["hostAliases"] = ["ip"],
        ["topologySpreadConstraints"] = ["topologyKey"],
        ["taints"] = ["key"],
        ["addresses"] = ["type"],
        ["resourceClaims"] = ["name"],
        ["schedulingGates"] = ["name"],
        ["readinessGates"] = ["conditionType"],
    };

    /// <summary>Lists of scalars that merge as sets: patchStrategy=merge for strategic merge patch, <c>+listType=set</c> for apply.</summary>
    public static IReadOnlySet<string> PrimitiveMergeLists { get; } = new HashSet<string>(StringComparer.Ordinal) { "finalizers" };

    /// <summary>
    /// Apply's <c>+listMapKey</c>s where they are more than the merge key: a port is identified by its number and
    /// protocol, a spread constraint by its key and when it is unsatisfiable.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> ListMapKeys { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["ports"] = ["containerPort", "protocol"],
        ["topologySpreadConstraints"] = ["topologyKey", "whenUnsatisfiable"],
    };

    /// <summary>Service (and endpoint) ports are keyed by port and protocol.</summary>
    public static IReadOnlyList<string> ServicePortKeys { get; } = ["port", "protocol"];

    /// <summary>Key fields that have a default in the OpenAPI schema, so an item may leave them out.</summary>
    public static IReadOnlyDictionary<string, string> ListMapKeyDefaults { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["protocol"] = "TCP",
    };

    /// <summary>Maps and structs that apply owns and replaces as a whole (<c>+mapType=atomic</c>, <c>+structType=atomic</c>).</summary>
    public static IReadOnlySet<string> AtomicMaps { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "selector", "podSelector", "namespaceSelector", "nodeSelector", "labelSelector",
        "secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef",
    };
}
