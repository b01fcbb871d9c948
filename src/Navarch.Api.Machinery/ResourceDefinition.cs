namespace Navarch.Api;

/// <summary>
/// One served resource: what discovery advertises about it, where it lives in the store, and the strategy that
/// validates, defaults and prints it. The API server serves every resource from these declarations alone.
/// </summary>
public sealed record ResourceDefinition
{
    /// <summary>API group; "" for the core group.</summary>
    public required string Group { get; init; }

    /// <summary>API version, e.g. "v1".</summary>
    public required string Version { get; init; }

    /// <summary>Kind, e.g. "Deployment".</summary>
    public required string Kind { get; init; }

    /// <summary>Lower-case plural used in URLs, e.g. "deployments".</summary>
    public required string Plural { get; init; }

    /// <summary>Lower-case singular name, e.g. "deployment".</summary>
    public required string Singular { get; init; }

    /// <summary>True for namespaced resources, false for cluster-scoped ones.</summary>
    public required bool Namespaced { get; init; }

    /// <summary>The k8s.Models type of one object, e.g. <c>typeof(V1Deployment)</c>.</summary>
    public required Type ClrType { get; init; }

    /// <summary>The k8s.Models type of a list, e.g. <c>typeof(V1DeploymentList)</c>.</summary>
    public required Type ListClrType { get; init; }

    /// <summary>
    /// The store prefix without trailing slash, following Kubernetes' etcd layout, e.g. "/registry/deployments",
    /// "/registry/services/specs", "/registry/minions". Two definitions that are versions of one resource share it.
    /// </summary>
    public required string StoragePrefix { get; init; }

    /// <summary>Short names for kubectl, e.g. ["deploy"].</summary>
    public IReadOnlyList<string> ShortNames { get; init; } = [];

    /// <summary>Categories, e.g. ["all"].</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Subresources served under the resource, e.g. ["status", "scale"].</summary>
    public IReadOnlyList<string> Subresources { get; init; } = [];

    /// <summary>Verbs discovery advertises.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>
    /// Set when this version is stored as another (whose definition has the same <see cref="StoragePrefix"/>):
    /// the store holds the converter's storage type, and the server converts on the way in and out.
    /// </summary>
    public Conversion.IVersionConverter? Converter { get; init; }

    /// <summary>
    /// The kind of a list of these objects: a CRD's <c>listKind</c>, else the list type's kind, else Kind + "List".
    /// </summary>
    public string ListKind
    {
        get => _listKind ?? ListClrType.GetCustomAttributes(typeof(k8s.Models.KubernetesEntityAttribute), false).OfType<k8s.Models.KubernetesEntityAttribute>().FirstOrDefault()?.Kind ?? Kind + "List";
        init => _listKind = value;
    }

    private string? _listKind;

    /// <summary>Validation, defaulting, preparation and printing for this resource.</summary>
    public required IResourceStrategy Strategy { get; init; }

    /// <summary>"v1" for core, "group/version" otherwise: the apiVersion field of objects.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"deployments.apps" or "pods": the resource as Kubernetes names it in error messages.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>The store key of one object.</summary>
    public string Key(string? @namespace, string name) =>
        Namespaced ? $"{StoragePrefix}/{@namespace}/{name}" : $"{StoragePrefix}/{name}";

    /// <summary>The store prefix of a list, for one namespace or (null) all of them.</summary>
    public string ListPrefix(string? @namespace) =>
        Namespaced && !string.IsNullOrEmpty(@namespace) ? $"{StoragePrefix}/{@namespace}/" : $"{StoragePrefix}/";
}
