using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Something built from the resource catalog (discovery documents, OpenAPI), built again only when the catalog
/// has changed since: readers get the build of the catalog's current version.
/// </summary>
internal sealed class CatalogCache<T>(ResourceCatalog catalog, Func<IReadOnlyList<ResourceDefinition>, T> build)
    where T : class
{
    private readonly Lock _lock = new();
    private volatile Entry? _entry;

    /// <summary>The build of the catalog as it is now.</summary>
    public T Current
    {
        get
        {
            (long version, IReadOnlyList<ResourceDefinition> all) = catalog.Current;
            if (_entry is { } cached && cached.Version == version)
            {
                return cached.Value;
            }

            lock (_lock)
            {
                if (_entry is { } built && built.Version == version)
                {
                    return built.Value;
                }

                var entry = new Entry(version, build(all));
                _entry = entry;
                return entry.Value;
            }
        }
    }

    private sealed record Entry(long Version, T Value);
}
