namespace Navarch.Api.Resources;

/// <summary>A change of the <see cref="ResourceCatalog"/>: a resource added (or replaced), or removed.</summary>
public sealed class ResourceCatalogChangedEventArgs(long version, ResourceDefinition? added, ResourceDefinition? removed) : EventArgs
{
    /// <summary>The catalog's version after the change.</summary>
    public long Version { get; } = version;

    /// <summary>The definition now served, when one was added or replaced.</summary>
    public ResourceDefinition? Added { get; } = added;

    /// <summary>The definition no longer served, when one was removed or replaced.</summary>
    public ResourceDefinition? Removed { get; } = removed;
}
