namespace Navarch.Controllers.GarbageCollector;

/// <summary>Where a kind lives in the REST API: its apiVersion, plural and scope (a RESTMapping).</summary>
internal sealed record ResourceMapping(string ApiVersion, string Kind, string Plural, bool Namespaced)
{
    /// <summary>The path of one object of this resource.</summary>
    public string ObjectPath(string? @namespace, string name)
    {
        string root = ApiVersion.Contains('/', StringComparison.Ordinal) ? "/apis/" + ApiVersion : "/api/" + ApiVersion;
        return Namespaced ? $"{root}/namespaces/{@namespace}/{Plural}/{Uri.EscapeDataString(name)}" : $"{root}/{Plural}/{Uri.EscapeDataString(name)}";
    }
}
