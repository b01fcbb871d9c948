using System.Text.Json;
using Navarch.Client;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// The REST mapping the HPA needs (a RESTMapper over discovery): the resource that serves a kind in a group/version,
/// the path prefix of that group/version, and whether the resource has a <c>scale</c> subresource.
/// </summary>
internal sealed class DiscoveryResources(RawApi api)
{
    /// <summary>A kind's resource: the group/version's path prefix, the group, the plural name, and whether it serves <c>/scale</c>.</summary>
    public readonly record struct Mapping(string Prefix, string Group, string Resource, bool HasScale)
    {
        /// <summary>The group-qualified resource (<c>deployments.apps</c>, <c>services</c>) as a GroupResource prints.</summary>
        public string GroupResource => Group.Length == 0 ? Resource : $"{Resource}.{Group}";
    }

    /// <summary>The resource of <paramref name="kind"/> in <paramref name="apiVersion"/> (core when it has no group).</summary>
    public async Task<Mapping> MapAsync(string? apiVersion, string kind, CancellationToken cancellationToken)
    {
        string version = string.IsNullOrEmpty(apiVersion) ? "v1" : apiVersion;
        bool grouped = version.Contains('/', StringComparison.Ordinal);
        string prefix = grouped ? "/apis/" + version : "/api/" + version;
        using JsonDocument discovery = await api.GetJsonAsync(prefix, cancellationToken).ConfigureAwait(false);
        var resources = discovery.RootElement.GetProperty("resources").EnumerateArray()
            .Select(r => (Name: r.GetProperty("name").GetString() ?? "", Kind: r.TryGetProperty("kind", out JsonElement k) ? k.GetString() : null))
            .ToList();
        string? resource = resources.FirstOrDefault(r => r.Kind == kind && !r.Name.Contains('/', StringComparison.Ordinal)).Name;
        return resource is null
            ? throw new InvalidOperationException($"no matches for kind \"{kind}\" in version \"{version}\"")
            : new Mapping(prefix, grouped ? version[..version.IndexOf('/', StringComparison.Ordinal)] : "", resource, resources.Any(r => r.Name == resource + "/scale"));
    }
}
