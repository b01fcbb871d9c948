using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Http;

/// <summary>A request URL under /api or /apis, resolved against the catalog.</summary>
internal sealed record ApiPath(string Group, string Version, ResourceDefinition? Resource, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>
    /// Parses <c>/api/v1[/namespaces/{ns}]/{resource}[/{name}[/{sub}]]</c> and the same under <c>/apis/{group}/{version}</c>.
    /// Returns null when the path names no served group/version.
    /// </summary>
    public static ApiPath? Parse(ResourceCatalog catalog, string path)
    {
        string[] parts = path.Trim('/').Split('/');
        int at;
        string group, version;
        if (parts.Length >= 2 && parts[0] == "api")
        {
            (group, version, at) = ("", parts[1], 2);
        }
        else if (parts.Length >= 3 && parts[0] == "apis")
        {
            (group, version, at) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }

        if (!catalog.GroupVersions.Contains((group, version)))
        {
            return null;
        }

        string[] rest = parts[at..];
        if (rest.Length == 0)
        {
            return new ApiPath(group, version, null, null, null, null);
        }

        if (rest.Length >= 3 && rest[0] == "namespaces" && catalog.Find(group, version, rest[2]) is { Namespaced: true } namespaced)
        {
            return rest.Length > 5 ? null : new ApiPath(group, version, namespaced, rest[1], rest.ElementAtOrDefault(3), rest.ElementAtOrDefault(4));
        }

        ResourceDefinition? resource = catalog.Find(group, version, rest[0]);
        if (resource is null || rest.Length > 3)
        {
            return new ApiPath(group, version, null, null, rest[0], null) { Unknown = true };
        }

        return new ApiPath(group, version, resource, null, rest.ElementAtOrDefault(1), rest.ElementAtOrDefault(2));
    }

    /// <summary>The path named a group/version we serve but a resource we do not.</summary>
    public bool Unknown { get; init; }
}
